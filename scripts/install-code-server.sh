#!/usr/bin/env bash
# Installs code-server (VS Code 1.100.3 in the browser; the last release that runs
# on Node 20 (20.x)) into a cache folder, for the VS Code extension's end-to-end test.
#
#   scripts/install-code-server.sh            # installs into .cache/code-server
#   CODE_SERVER_DIR=/some/dir scripts/install-code-server.sh
#
# Idempotent: a finished install leaves a marker and is not repeated. Prints the
# path of the code-server launcher on its last line.
#
# Why not a plain `npm install code-server`: its postinstall refuses to run as root
# without unsafe-perm, and @vscode/ripgrep's install script downloads a binary from
# outside the npm registry, which this environment cannot reach. So: install with
# --ignore-scripts, use Debian's ripgrep, rebuild the native modules, and make the
# symlinks that code-server's postinstall.sh would make.
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CODE_SERVER_DIR:-$ROOT/.cache/code-server}"
PKG="$DIR/node_modules/code-server"
MARKER="$DIR/.installed-$VERSION"
LAUNCHER="$PKG/out/node/entry.js"

log() { printf 'install-code-server: %s\n' "$*" >&2; }

if [[ -f "$MARKER" && -f "$LAUNCHER" ]]; then
  log "code-server $VERSION already installed in $DIR"
  echo "$LAUNCHER"
  exit 0
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != "20" ]]; then
  log "code-server $VERSION needs Node 20 (20.x); this is Node $(node --version)."
  exit 1
fi

# System packages: ripgrep (instead of @vscode/ripgrep's download) and headers for
# the native modules (node-pty, kerberos, native-keymap, @vscode/spdlog, ...).
need_apt=()
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
command -v make >/dev/null 2>&1 || need_apt+=(build-essential)
for pair in "krb5-config:libkrb5-dev" "/usr/include/X11/Xlib.h:libx11-dev" \
            "/usr/include/X11/extensions/XKBfile.h:libxkbfile-dev" \
            "/usr/include/libsecret-1/libsecret/secret.h:libsecret-1-dev"; do
  probe="${pair%%:*}"; pkg="${pair#*:}"
  if [[ "$probe" == /* ]]; then [[ -e "$probe" ]] || need_apt+=("$pkg")
  else command -v "$probe" >/dev/null 2>&1 || need_apt+=("$pkg"); fi
done
if ((${#need_apt[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    log "please install: ${need_apt[*]} (Debian package names)"
    exit 1
  fi
fi

export npm_config_yes=true          # node-pty's build calls `npx node-gyp`
export npm_config_unsafe_perm=true  # root check in code-server's scripts
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

mkdir -p "$DIR"
# A package.json of its own keeps npm from treating the repository's workspace root as the project.
[[ -f "$DIR/package.json" ]] || echo '{ "private": true, "name": "code-server-cache" }' > "$DIR/package.json"

log "npm install code-server@$VERSION (scripts off)"
(cd "$DIR" && npm install --no-save --ignore-scripts --no-package-lock "code-server@$VERSION" >/dev/null)

log "rebuilding argon2"
(cd "$DIR" && npm rebuild argon2 >/dev/null)

log "installing VS Code's dependencies (lib/vscode)"
cd "$PKG/lib/vscode"
npm install --omit=dev --ignore-scripts --no-package-lock >/dev/null
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
log "rebuilding native modules (a minute or two)"
npm rebuild >/dev/null

# What postinstall.sh does after its npm install.
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && rm -rf code-server && ln -s code-linux.sh code-server)
(cd bin/helpers && rm -rf browser.sh && ln -s browser-linux.sh browser.sh)

log "installing the built-in extensions' dependencies"
(cd extensions && npm install --omit=dev --no-package-lock >/dev/null)

# Smoke check: the launcher runs.
XDG_CONFIG_HOME="$DIR/.config" XDG_DATA_HOME="$DIR/.data" node "$LAUNCHER" --version >&2
touch "$MARKER"
log "installed code-server $VERSION in $DIR"
echo "$LAUNCHER"

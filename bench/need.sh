# Sourced by the bench scripts: `need COMMAND DEBIAN-PACKAGE` installs the package when the
# command is missing and we are root, or stops with what to install.
need() {
    command -v "$1" >/dev/null 2>&1 && return
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
    else
        echo "bench: $1 is missing; install the Debian package $2" >&2
        exit 1
    fi
}

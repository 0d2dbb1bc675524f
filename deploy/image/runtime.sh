#!/usr/bin/env bash
# Makes the runtime layer of the hotpath image in DIR, offline, from this machine:
#   /opt/java   a JRE linked by jlink from the build's JDK (the modules the server uses)
#   /lib, /lib64 the glibc files that JRE loads, copied from the installed Debian packages
#   /etc        passwd/group with the non-root user 65532 (nonroot), nsswitch.conf
#   /tmp, /data writable folders (/data: HOTPATH_DATA_DIR)
# No container registry is reachable from the build, so the image has no base image: Jib starts from
# `scratch` and adds DIR as it is (deploy/pom.xml). DIR/etc/hotpath-runtime lists where each part
# came from (JDK release, Debian package versions).
set -euo pipefail
dir="${1:?usage: runtime.sh DIR}"
java_home="${JAVA_HOME:?JAVA_HOME must name a JDK >= 21 with jlink}"
modules="java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,\
java.naming,java.net.http,java.prefs,java.scripting,java.security.jgss,java.security.sasl,\
java.sql,java.transaction.xa,java.xml,jdk.charsets,jdk.crypto.ec,jdk.jfr,jdk.localedata,\
jdk.management,jdk.management.jfr,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.unsupported,jdk.zipfs"

stamp="$dir/etc/hotpath-runtime"
release="$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$java_home/release")"
if [ -f "$stamp" ] && grep -qx "jdk $release $modules" "$stamp"; then
  exit 0 # made already from this JDK
fi
rm -rf "$dir"
mkdir -p "$dir/opt" "$dir/etc" "$dir/tmp" "$dir/data"
"$java_home/bin/jlink" --add-modules "$modules" --output "$dir/opt/java" \
  --strip-debug --no-header-files --no-man-pages --compress=zip-6

# The shared libraries the JRE loads (ldd of every ELF file in it) that glibc (Debian's libc6)
# provides, and the dynamic loader. The X11 and ALSA libraries of java.desktop's AWT and sound
# are left out: the server runs headless (-Djava.awt.headless=true) and never loads them.
mapfile -t libs < <(find "$dir/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 \
  | xargs -0 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/lib/ {print $1}' \
  | grep -v "^$dir" | sort -u)
copied=()
for lib in "${libs[@]}"; do
  package="$(dpkg -S "$lib" 2>/dev/null | cut -d: -f1 | head -1 || true)"
  if [ "$package" != "libc6" ]; then
    continue
  fi
  mkdir -p "$dir$(dirname "$lib")"
  cp "$(readlink -f "$lib")" "$dir$lib"
  copied+=("$lib")
done
# glibc loads libgcc_s at run time (dlopen) to unwind a thread that is cancelled or exits early
gcc_s=/lib/x86_64-linux-gnu/libgcc_s.so.1
if [ -e "$gcc_s" ]; then
  cp "$(readlink -f "$gcc_s")" "$dir$gcc_s"
  copied+=("$gcc_s")
fi

cat >"$dir/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/data:/sbin/nologin
PASSWD
cat >"$dir/etc/group" <<'GROUP'
root:x:0:
nonroot:x:65532:
GROUP
echo "hosts: files dns" >"$dir/etc/nsswitch.conf"

{
  echo "jdk $release $modules"
  for p in libc6 libgcc-s1; do
    echo "debian $p $(dpkg-query -W -f='${Version}' "$p:amd64" 2>/dev/null || echo absent)"
  done
  for lib in "${copied[@]}"; do echo "file $lib"; done
} >"$stamp"

# Sourced by ./hotpath and .ci/run: exports JAVA_HOME pointing at a JDK >= 21.
# JAVA_HOME wins when it is new enough; otherwise the newest JDK under /usr/lib/jvm.

hotpath_java_major() {
  # prints the feature version of the java binary given, e.g. 25
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1 | cut -d. -f1
}

hotpath_find_jdk() {
  local candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(hotpath_java_major "$JAVA_HOME/bin/java")
    if [ "${major:-0}" -ge 21 ] 2>/dev/null; then
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    [ -L "$candidate" ] && continue
    major=$(hotpath_java_major "$candidate/bin/java")
    if [ "${major:-0}" -ge 21 ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then
      best="$candidate"
      best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "hotpath: no JDK 21 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME="$best"
}

hotpath_quiet_maven() {
  # Maven's own libraries (Guice) call sun.misc.Unsafe, which JDK 24 and newer warn about on
  # every run; the warnings are Maven's, not the project's, so a newcomer's first screen should
  # not show them. JDK 23 introduced the flag; older JDKs refuse it, so it is added only from 24.
  local major
  major=$(hotpath_java_major "$JAVA_HOME/bin/java")
  if [ "${major:-0}" -ge 24 ] 2>/dev/null; then
    case " ${MAVEN_OPTS:-} " in
      *" --sun-misc-unsafe-memory-access="*) ;;
      *) export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow" ;;
    esac
  fi
}

hotpath_data_defaults() {
  # The embedded database, the development keys and the access log live in the repository's
  # data/ folder whatever the caller's working directory, so `path/to/hotpath token` finds the
  # key `serve --demo` made. An explicit HOTPATH_DATA_DIR (or HOTPATH_ACCESS_LOG) wins.
  local root="$1"
  if [ -z "${HOTPATH_DATA_DIR:-}" ]; then
    export HOTPATH_DATA_DIR="$root/data"
    export HOTPATH_ACCESS_LOG="${HOTPATH_ACCESS_LOG:-$root/data/access.log}"
  fi
}

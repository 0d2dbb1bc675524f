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

hotpath_java_opts() {
  # The JVM options ./hotpath runs the server with (and the bench scripts that start the jar
  # themselves), for the JDK in JAVA_HOME. They keep peak RSS (VmHWM) under 350 MiB under every
  # load of scripts/bench-baseline.sh (README, "Memory"). RSS is the part of the Java heap the
  # collector has touched plus 150-190 MiB outside it: metaspace and class space ~50, the code
  # cache ~25, the JDK's mapped files ~37 (libjvm, the CDS archive), malloc 30-60 (C2's arenas
  # alone peak at ~35 MiB while it compiles); Netty's direct buffers are under 1 MiB (NMT's
  # "Other") apart from the response cache's bodies, which it keeps there (pooled direct buffers,
  # bounded by HOTPATH_CACHE_MAX_MB; 9 MiB held after 3 minutes of the load harness's mix). Measured with the loads of scripts/bench-memory.sh (its first form; NMT=1 for
  # jcmd VM.native_memory) on 2026-12-07, two sittings at load 11-22, before (-Xms256m -Xmx256m
  # -Xmn128m, no trim) and after, peak MiB after each phase's second run (order, page, write,
  # cached):
  # before 288 291 310 320 / 289 291 308 326, after 265 272 290 287 / 261 269 287 293.
  #   -XX:+UseSerialGC: a young collection of this heap (survivors of a few MiB) costs less CPU
  #     per request than the parallel collector's on two cores;
  #   -Xmn96m: the young generation is touched whole within seconds of load, so its size is RSS
  #     one for one: 96 MiB instead of 128 is most of the 20-33 MiB above, for a third more young
  #     collections of the same few-MiB survivors; server CPU per request did not move
  #     (scripts/bench-ab.sh, 8 alternating pairs, median before / after, three sittings: cached
  #     order 14.28 / 13.81, 12.34 / 12.03 and 13.55 / 13.12 us, uncached 38.68 / 37.67, 51.45 /
  #     48.17 and 49.60 / 48.94 us);
  #   -Xms224m -Xmx224m: the old generation stays 128 MiB (the live heap is ~40 MiB with 10,000
  #     orders cached; the response cache's default, an eighth of the heap, is 26 MiB, more than
  #     twice the demo's working set of 9-11 MiB), and the heap never touches more than 224 MiB
  #     however long a load runs (the old generation's touched part grows with what is promoted
  #     until a full collection: 10-60 MiB in bench-baseline's runs);
  #   -XX:TrimNativeHeapInterval=5000: glibc keeps what C2 and the JDK free(); a trim every 5 s
  #     gives it back between compilations (the brk arena: 15-25 MiB against 30-36 without).
  #     A product flag from JDK 23 (read from JAVA_HOME/release, without starting a JVM); older
  #     JDKs run without it.
  local opts="-XX:+UseSerialGC -Xms224m -Xmx224m -Xmn96m" feature
  feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" 2>/dev/null)
  if [ "${feature:-0}" -ge 23 ] 2>/dev/null; then
    opts="$opts -XX:TrimNativeHeapInterval=5000"
  fi
  echo "$opts"
}

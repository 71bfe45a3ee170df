# Sourced by ./herald, ./herald-bench and .ci/run: exports JAVA_HOME as a JDK 21 or newer.
# the major version: from the JDK's release file when it has one (reading it costs nothing; starting
# its java to ask costs about 0.1 s, once per JDK looked at), else from java -version
jdk_major() {
  if [ -f "$1/release" ] && grep -q '^JAVA_VERSION=' "$1/release"; then
    awk -F'"' '/^JAVA_VERSION=/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}' "$1/release"
  else
    "$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
  fi
}
is_jdk21() { [ -x "$1/bin/javac" ] && [ "$(jdk_major "$1")" -ge 21 ] 2>/dev/null; }
if [ -n "${JAVA_HOME:-}" ] && is_jdk21 "$JAVA_HOME"; then
  :
elif command -v javac >/dev/null 2>&1 && cand="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")" && is_jdk21 "$cand"; then
  export JAVA_HOME="$cand"
else
  best=""; best_v=0
  for d in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$d" ] || continue
    if [ -x "$d/bin/javac" ]; then
      v="$(jdk_major "$d")"
      if [ "$v" -ge 21 ] 2>/dev/null && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
    fi
  done
  if [ -z "$best" ]; then
    echo "herald: no JDK 21 or newer found. Install one (e.g. apt-get install openjdk-21-jdk) or set JAVA_HOME." >&2
    exit 1
  fi
  export JAVA_HOME="$best"
fi

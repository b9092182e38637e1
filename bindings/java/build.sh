#!/bin/sh
# Builds the Java binding with javac and jar alone:
#
#   bindings/java/build.sh [OUT]    # OUT/eseal.jar (the API) and OUT/test (the test driver)
#
# JNA comes from Debian's libjna-java (/usr/share/java/jna.jar), or from $JNA_JAR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
jna=${JNA_JAR:-/usr/share/java/jna.jar}
rm -rf "$out/classes" "$out/test"
mkdir -p "$out/classes" "$out/test"
javac --release 17 -Xlint:all -Werror -encoding UTF-8 -cp "$jna" -d "$out/classes" \
  $(find "$here/src" -name '*.java')
jar --create --file "$out/eseal.jar" -C "$out/classes" .
javac --release 17 -Xlint:all -Werror -encoding UTF-8 -cp "$jna:$out/eseal.jar" -d "$out/test" \
  $(find "$here/test" -name '*.java')

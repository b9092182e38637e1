#!/usr/bin/env bash
# Makes assets/demo-cjk.ttf: WenQuanYi Micro Hei (Apache-2.0) cut down to the characters
# the demo draws (every non-ASCII character in the demo's and the sample's sources, the
# renderer's own labels, printable ASCII), so `eseal demo` runs on a machine without CJK
# fonts. Run again after changing the demo's texts; `cargo test --test cli` fails first.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet fonttools
text=$(mktemp)
trap 'rm -f "$text"' EXIT
{
  grep -ohP '[^\x00-\x7F]' src/bin/eseal/demo.rs src/licence/sample.rs src/licence/model.rs \
    src/licence/document.rs src/seal/picture.rs
  printf '%s\n' ' !"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~'
  printf '%s\n' '０１２３４５６７８９年月日至长期'
} | tr -d '\n' > "$text"
python3 -m fontTools.subset /usr/share/fonts/truetype/wqy/wqy-microhei.ttc --font-number=0 \
  --text-file="$text" --no-hinting --desubroutinize --output-file=assets/demo-cjk.ttf
ls -l assets/demo-cjk.ttf

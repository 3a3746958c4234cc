#!/usr/bin/env bash
# The Debian packages `make test` needs beyond Python 3.11: Chromium for the browser
# journeys, poppler (pdftotext/pdftoppm) to read the rendered PDFs, pango and the DejaVu
# fonts for WeasyPrint. Everything present: do nothing. Something missing: install it when
# we are root with apt-get; otherwise stop at once with the one command to run.
set -euo pipefail

need=()
have_pkg() { command -v dpkg-query >/dev/null 2>&1 && dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
have_lib() { have_pkg "$1" || { command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q "$2"; }; }

command -v chromium >/dev/null 2>&1 || need+=(chromium)
{ command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; } || need+=(poppler-utils)
have_pkg fonts-dejavu-core || need+=(fonts-dejavu-core)
have_lib libpango-1.0-0 'libpango-1.0.so.0' || need+=(libpango-1.0-0)
have_lib libpangoft2-1.0-0 'libpangoft2-1.0.so.0' || need+=(libpangoft2-1.0-0)

[ ${#need[@]} -eq 0 ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing what this machine lacks for the tests: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "The tests need Debian packages this machine lacks: ${need[*]}." >&2
echo "Install them (as root), then run make test again:" >&2
echo "  sudo sh -c '$cmd'" >&2
exit 2

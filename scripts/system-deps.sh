#!/usr/bin/env bash
# Installs the Debian packages a role needs (idempotent; apt-get runs only when something is missing).
#   scripts/system-deps.sh demo   - python3-venv only
#   scripts/system-deps.sh test   - everything the test suite talks to for real
# The GStreamer packages are those of the elements scripts/rtsp_server.py names (its ELEMENT_PACKAGES;
# tests/capture/test_gst_elements.py fails naming the package of any element gst-inspect-1.0 lacks).
set -euo pipefail
role="${1:-demo}"
pkgs=(python3-venv python3-pip)
if [ "$role" = "test" ]; then
  pkgs+=(mosquitto mosquitto-clients gpsd gpsd-clients
         gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-tools gstreamer1.0-plugins-base
         gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-x
         ffmpeg tesseract-ocr fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-liberation2
         fonts-noto-mono systemd chromium chromium-driver postgresql)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# Services the tests start themselves on private ports; the packaged daemons must not hold the defaults.
if [ "$role" = "test" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now mosquitto gpsd gpsd.socket >/dev/null 2>&1 || true
fi

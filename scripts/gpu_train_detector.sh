#!/usr/bin/env bash
# Run on the GPU machine from the repo root (the `run` tool's working copy). Carried (ignored) paths:
#   build/yolo_ds (from `anpr train dataset --out build/yolo_ds ...`) and .whl/ holding
#   ultralytics-8.3.150, ultralytics_thop-2.2.3, onnxslim and fastanpr-0.1.13 wheels.
# Usage: bash scripts/gpu_train_detector.sh [MINUTES] [IMGSZ] [BATCH]     (outputs land in $OUT)
set -euo pipefail
MINUTES=${1:-8}; IMGSZ=${2:-640}; BATCH=${3:-32}
OUT=${OUT:-build/gpu_out}
python -m pip install -q --no-deps --no-index .whl/ultralytics-8.3.150-py3-none-any.whl \
  .whl/ultralytics_thop-*.whl .whl/onnxslim-*.whl 2>&1 | tail -2 || true
python - <<'PY'
import importlib, sys
missing = [m for m in ("torch", "torchvision", "cv2", "onnx", "onnxslim", "pandas", "matplotlib", "yaml", "scipy",
                       "psutil", "cpuinfo", "requests", "PIL", "ultralytics") if importlib.util.find_spec(m) is None]
print("missing python modules:", missing or "none")
sys.exit(1 if missing else 0)
PY
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
PYTHONPATH=. python scripts/gpu_train_detector.py build/yolo_ds "$OUT" --minutes "$MINUTES" --imgsz "$IMGSZ" \
  --batch "$BATCH" --device 0 --workers 8 --base-wheel .whl/fastanpr-0.1.13-py3-none-any.whl
ls -la "$OUT"

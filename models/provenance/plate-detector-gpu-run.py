"""Fine-tune fastanpr's YOLOv8n plate detector on a GPU box, export ONNX at several sizes into $OUT."""
import json, os, shutil, sys, time, zipfile
from pathlib import Path

os.environ.update(YOLO_OFFLINE="1", YOLO_AUTOINSTALL="0", YOLO_CONFIG_DIR="/tmp/ycfg")
Path("/tmp/ycfg").mkdir(exist_ok=True)
data, wheel, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
hours = float(sys.argv[4]); device = sys.argv[5]; batch = int(sys.argv[6]); workers = int(sys.argv[7])
imgsz = int(sys.argv[8]) if len(sys.argv) > 8 else 640
fraction = float(sys.argv[9]) if len(sys.argv) > 9 else 1.0
out.mkdir(parents=True, exist_ok=True)
base = Path("/tmp/fastanpr-best.pt")
base.write_bytes(zipfile.ZipFile(wheel).read("fastanpr/best.pt"))

import ultralytics.engine.trainer as tr  # noqa: E402
tr.check_amp = lambda model: device != "cpu"  # the AMP self-check downloads yolo11n.pt: no hub here
from ultralytics import YOLO  # noqa: E402

t0 = time.time()
model = YOLO(str(base))
model.train(data=str(data / "data.yaml"), imgsz=imgsz, epochs=300, time=hours, batch=batch, nbs=batch,
            device=device, workers=workers, plots=False, project="/tmp/runs", name="det", exist_ok=True,
            optimizer="AdamW", lr0=0.002, patience=1000, cache="ram", fraction=fraction, seed=0, deterministic=False,
            close_mosaic=5, amp=device != "cpu", val=True, verbose=False)
run = Path("/tmp/runs/det")
print("train_s", round(time.time() - t0, 1), flush=True)
best = run / "weights" / "best.pt"
shutil.copy(best, out / "best.pt")
for f in ("results.csv", "args.yaml"):
    if (run / f).exists():
        shutil.copy(run / f, out / f)
for s in (320, 416, 512, 640):
    m = YOLO(str(best))
    p = m.export(format="onnx", imgsz=s, opset=17, simplify=True, dynamic=False, half=False, batch=1, device="cpu")
    shutil.copy(p, out / f"plate-detector-{s}.onnx")
print("done", round(time.time() - t0, 1), flush=True)

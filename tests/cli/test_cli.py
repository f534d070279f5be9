"""The ``inpaint-studio`` command line, in-process through ``main([...])`` and once as ``python -m editor``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from editor import cli
from editor.cli import main
from editor.core.errors import OutputError

REPO = Path(__file__).resolve().parents[2]
REQUIRED = {"method", "hd", "width", "height", "hole_fraction", "seconds_preview", "seconds_total", "peak_rss_mb"}


def _photo(h: int = 96, w: int = 128) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([40 + xx, 60 + yy, 100 + (xx + yy) // 3], axis=-1) + 20 * ((xx // 4) % 2)[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def files(tmp_path):
    """A PNG photo, a white-hole PNG mask (a 20x24 box), a JPEG with EXIF, an empty and a full mask."""
    img = _photo()
    photo = tmp_path / "photo.png"
    Image.fromarray(img).save(photo)
    hole = np.zeros(img.shape[:2], bool)
    hole[36:56, 50:74] = True
    mask = tmp_path / "mask.png"
    Image.fromarray(hole.astype(np.uint8) * 255).save(mask)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    jpg = tmp_path / "photo.jpg"
    Image.fromarray(img).save(jpg, quality=95, exif=exif.tobytes())
    empty = tmp_path / "empty_mask.png"
    Image.fromarray(np.zeros(img.shape[:2], np.uint8)).save(empty)
    full = tmp_path / "full_mask.png"
    Image.fromarray(np.full(img.shape[:2], 255, np.uint8)).save(full)
    return types.SimpleNamespace(dir=tmp_path, img=img, hole=hole, photo=photo, mask=mask, jpg=jpg, empty=empty,
                                 full=full)


def _disk_full_for(target: Path, monkeypatch):
    """Make writing ``target`` fail as on a full disk (other files are written normally)."""
    from editor.core import imageio
    real = imageio.save_image

    def save(path, image, **kw):
        if Path(path) == target:
            raise OutputError(f"{path}: cannot write the file (No space left on device)")
        return real(path, image, **kw)
    monkeypatch.setattr(imageio, "save_image", save)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("method", ["telea", "patchmatch"])
def test_inpaint_json_and_only_hole_changes(files, capsys, method):
    out = files.dir / "out.png"
    rc = main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--method", method, "--json",
               "--hd", "cra"])
    assert rc == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert REQUIRED <= set(info)
    assert info["method"] == method and info["hd"] == "cra" and info["detail"] == 1.0
    assert (info["width"], info["height"]) == (128, 96)
    assert info["hole_fraction"] == pytest.approx(files.hole.mean())
    assert 0 < info["seconds_preview"] <= info["seconds_total"] and info["peak_rss_mb"] > 10
    res = np.asarray(Image.open(out).convert("RGB"))
    assert np.array_equal(res[~files.hole], files.img[~files.hole])
    assert np.abs(res[files.hole].astype(int) - files.img[files.hole]).mean() < 25  # a plausible fill
    assert not list(files.dir.glob(".*.tmp"))  # no temp file left behind


def test_inpaint_detail_flag(tmp_path, capsys):
    """--detail reaches the pipeline: 0 gives the resize fill (to rounding; on a photo above the low-res size)."""
    img = np.tile(_photo(), (6, 6, 1))                      # 576 x 768: the low-res stage downsamples
    Image.fromarray(img).save(tmp_path / "p.png")
    hole = np.zeros(img.shape[:2], np.uint8)
    hole[200:330, 260:420] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    outs = {}
    for name, extra in {"d0": ["--hd", "cra", "--detail", "0"], "resize": ["--hd", "resize"],
                        "d1": ["--hd", "cra", "--detail", "1"]}.items():
        assert main(["inpaint", str(tmp_path / "p.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / f"{name}.png"),
                     "--method", "telea", "--json", *extra]) == 0
        info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        outs[name] = np.asarray(Image.open(tmp_path / f"{name}.png"))
    assert info["detail"] == 1.0
    assert np.abs(outs["d0"].astype(int) - outs["resize"]).max() <= 1
    assert np.abs(outs["d1"].astype(int) - outs["resize"]).max() > 8


def test_inpaint_default_method_preview_and_human_output(files, capsys):
    out, prev = files.dir / "out.jpg", files.dir / "prev.png"
    assert main(["inpaint", str(files.jpg), str(files.mask), "-o", str(out), "--preview", str(prev),
                 "--hd", "resize", "--quality", "90"]) == 0
    text = capsys.readouterr().out
    assert "wrote" in text and "patchmatch" in text  # the registry's default
    assert Image.open(prev).size[0] <= 512 and out.exists()
    assert Image.open(out).getexif().get(0x010F) == "TestCam"  # EXIF carried


def test_subprocess_python_m_editor(files):
    out = files.dir / "sub.png"
    code = ("import sys, runpy; sys.argv = ['editor'] + sys.argv[1:]; "
            "rc = None\n"
            "try:\n    runpy.run_module('editor', run_name='__main__')\n"
            "except SystemExit as e:\n    rc = e.code\n"
            "assert 'torch' not in sys.modules, 'a classical run imported torch'\n"
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, "inpaint", str(files.photo), str(files.mask), "-o", str(out),
                           "--method", "telea", "--json"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert REQUIRED <= set(info) and out.exists()
    # and the real module entry point, with a user error: one line, exit 2
    proc = subprocess.run([sys.executable, "-m", "editor", "inpaint", str(files.dir / "missing.jpg"),
                           str(files.mask), "-o", str(files.dir / "x.png")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1


def _bad_cases(f):
    d = f.dir
    (d / "empty.jpg").write_bytes(b"")
    (d / "notimage.jpg").write_text("this is not a photo\n")
    data = f.jpg.read_bytes()
    (d / "truncated.jpg").write_bytes(data[: len(data) // 2])
    Image.fromarray(np.zeros((50, 60), np.uint8)).save(d / "small_mask.png")
    o = str(d / "out.png")
    p, m = str(f.photo), str(f.mask)
    return {
        "missing photo": ["inpaint", str(d / "nope.jpg"), m, "-o", o],
        "missing mask": ["inpaint", p, str(d / "nope.png"), "-o", o],
        "empty file": ["inpaint", str(d / "empty.jpg"), m, "-o", o],
        "non-image": ["inpaint", str(d / "notimage.jpg"), m, "-o", o],
        "truncated": ["inpaint", str(d / "truncated.jpg"), m, "-o", o],
        "mask size mismatch": ["inpaint", p, str(d / "small_mask.png"), "-o", o],
        "hole covers photo": ["inpaint", p, str(f.full), "-o", o],
        "over-large image": ["inpaint", p, m, "-o", o, "--max-pixels", "1000"],
        "unwritable output": ["inpaint", p, m, "-o", str(d / "no" / "such" / "dir" / "out.png")],
        "output under a file": ["inpaint", p, m, "-o", str(f.photo / "out.png")],
        "unknown extension": ["inpaint", p, m, "-o", str(d / "out.xyz")],
        "unknown method": ["inpaint", p, m, "-o", o, "--method", "nope"],
        "output is the photo": ["inpaint", p, m, "-o", p, "--force"],
        "output is the photo (other spelling)": ["inpaint", p, m, "-o", str(d / "." / "photo.png"), "--force"],
        "output is the mask": ["inpaint", p, m, "-o", m, "--force"],
        "bad flag value": ["inpaint", p, m, "-o", o, "--hd", "sideways"],
        "detail out of range": ["inpaint", p, m, "-o", o, "--detail", "1.5"],
        "missing -o": ["inpaint", p, m],
        "compare unknown method": ["compare", p, m, "-o", o, "--methods", "telea,nope"],
        "evaluate missing folder": ["evaluate", "--images", str(d / "nope"), "--methods", "telea"],
    }


BAD_NAMES = ["missing photo", "missing mask", "empty file", "non-image", "truncated", "mask size mismatch",
             "hole covers photo", "over-large image", "unwritable output", "output under a file", "unknown extension",
             "unknown method", "output is the photo", "output is the photo (other spelling)", "output is the mask",
             "bad flag value", "detail out of range", "missing -o", "compare unknown method", "evaluate missing folder"]


@pytest.mark.parametrize("case", BAD_NAMES)
def test_bad_input_one_line_exit_2(files, capsys, case):
    argv = _bad_cases(files)[case]
    before = {p: p.read_bytes() for p in files.dir.iterdir() if p.is_file()}
    capsys.readouterr()
    assert main(argv) == 2
    _one_error_line(capsys)
    after = {p: p.read_bytes() for p in files.dir.iterdir() if p.is_file()}
    assert after == before  # nothing written, inputs untouched


def test_unavailable_method(files, capsys, monkeypatch):
    from editor.methods import classical
    monkeypatch.setattr(classical, "_load_patchmatch", lambda: (None, "pypatchmatch missing"))
    rc = main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png"), "--method", "patchmatch"])
    assert rc == 2 and "pypatchmatch missing" in _one_error_line(capsys)
    # without --method the CLI falls back to an available method and says so
    rc = main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png"), "--json"])
    cap = capsys.readouterr()
    assert rc == 0 and "unavailable" in cap.err and json.loads(cap.out.splitlines()[-1])["method"] == "telea"


def test_existing_output_needs_force(files, capsys):
    out = files.dir / "out.png"
    out.write_bytes(b"keep me")
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--method", "telea"]) == 2
    assert "--force" in _one_error_line(capsys) and out.read_bytes() == b"keep me"
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--method", "telea", "--force"]) == 0
    assert Image.open(out).size == (128, 96)


def test_empty_mask_writes_photo_unchanged(files, capsys):
    out, prev = files.dir / "same.png", files.dir / "same_preview.png"
    assert main(["inpaint", str(files.photo), str(files.empty), "-o", str(out), "--preview", str(prev),
                 "--json"]) == 0
    cap = capsys.readouterr()
    assert "mask is empty" in cap.err and "error" not in cap.err
    info = json.loads(cap.out.splitlines()[-1])
    assert info["hole_fraction"] == 0.0 and info["seconds_save"] >= 0  # the same keys as a real fill
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), files.img)
    assert Image.open(prev).size == (128, 96)           # the photo is below --lowres-size: its own size
    # same format: the file's own bytes (a JPEG is not re-encoded); another format: converted, EXIF kept
    out_jpg = files.dir / "same.jpg"
    assert main(["inpaint", str(files.jpg), str(files.empty), "-o", str(out_jpg)]) == 0
    assert out_jpg.read_bytes() == files.jpg.read_bytes()
    out_tif = files.dir / "same.tif"
    assert main(["inpaint", str(files.jpg), str(files.empty), "-o", str(out_tif)]) == 0
    assert Image.open(out_tif).getexif().get(0x010F) == "TestCam"


def test_failed_write_removes_the_preview(files, capsys, monkeypatch):
    """The preview is written early; if the full-resolution output then cannot be written, the preview goes
    too, and a preview file that --force replaced comes back."""
    out, prev = files.dir / "o.png", files.dir / "p.png"
    _disk_full_for(out, monkeypatch)
    args = ["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--preview", str(prev), "--method", "telea"]
    assert main(args) == 2
    assert "No space left" in _one_error_line(capsys)
    assert sorted(p.name for p in files.dir.iterdir() if p.name.startswith(("o.", "p.", ".p."))) == []
    prev.write_bytes(b"old preview")
    assert main(args + ["--force"]) == 2
    _one_error_line(capsys)
    assert prev.read_bytes() == b"old preview" and not out.exists()
    assert [p.name for p in files.dir.iterdir() if p.name.startswith(".")] == []   # no backup left behind
    out.write_bytes(b"old output")          # the output itself exists and its (forced) write fails
    for _ in range(2):
        assert main(args + ["--force"]) == 2
        _one_error_line(capsys)
    assert out.read_bytes() == b"old output" and prev.read_bytes() == b"old preview"
    assert [p.name for p in files.dir.iterdir() if p.name.startswith(".")] == []   # no backup left behind
    monkeypatch.undo()
    assert main(args + ["--force"]) == 0
    assert Image.open(prev).size == (128, 96) and Image.open(out).size == (128, 96)
    assert [p.name for p in files.dir.iterdir() if p.name.startswith(".")] == []


def test_alpha_dropped_by_jpeg_is_noted(tmp_path, capsys):
    img = _photo(64, 48)
    rgba = np.dstack([img, np.full(img.shape[:2], 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "p.png")
    hole = np.zeros(img.shape[:2], np.uint8)
    hole[10:20, 10:20] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    base = ["inpaint", str(tmp_path / "p.png"), str(tmp_path / "m.png"), "--method", "telea", "-o"]
    assert main(base + [str(tmp_path / "o.jpg")]) == 0
    assert "alpha channel is dropped" in capsys.readouterr().err
    assert main(base + [str(tmp_path / "o.png")]) == 0
    assert "alpha" not in capsys.readouterr().err


def test_preview_equal_to_output_is_refused(files, capsys):
    out = files.dir / "o.png"
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--preview", str(out)]) == 2
    assert "the preview and the output" in _one_error_line(capsys) and not out.exists()


def test_keyboard_interrupt_exit_130(files, capsys, monkeypatch):
    def boom(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "_cmd_inpaint", boom)
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png")]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_memory_error_one_line(files, capsys, monkeypatch):
    def boom(*a, **k):
        raise MemoryError
    import editor.pipeline
    monkeypatch.setattr(editor.pipeline.InpaintPipeline, "run", boom)
    out = files.dir / "o.png"
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--method", "telea"]) == 2
    assert "not enough memory" in _one_error_line(capsys) and not out.exists()


def test_compare_sheet(files, capsys):
    sheet, outdir = files.dir / "sheet.png", files.dir / "new" / "full"   # --out-dir is created
    rc = main(["compare", str(files.photo), str(files.mask), "-o", str(sheet), "--methods",
               "telea,navier-stokes,patchmatch:resize", "--out-dir", str(outdir), "--json"])
    assert rc == 0
    info = json.loads(capsys.readouterr().out.splitlines()[-1])
    x0, y0, x1, y1 = info["crop"]
    # the crop holds the whole hole plus a margin at full resolution; being small (< MIN_TILE) it is shown
    # enlarged by a whole factor, each pixel a k x k block
    assert x0 <= 50 and y0 <= 36 and x1 >= 74 and y1 >= 56
    k = int(info["tile_scale"])
    assert k == info["tile_scale"] and k * max(x1 - x0, y1 - y0) >= cli.MIN_TILE > (k - 1) * max(x1 - x0, y1 - y0)
    tw, th = k * (x1 - x0), k * (y1 - y0)
    gap, label_h, _ = cli.sheet_layout((tw, th))
    n = 4  # input + three methods
    assert Image.open(sheet).size == (n * tw + (n + 1) * gap, label_h + th + 2 * gap)
    assert [r["method"] for r in info["runs"]] == ["telea", "navier-stokes", "patchmatch"]
    assert [r["hd"] for r in info["runs"]] == ["cra", "cra", "resize"]
    kept = sorted(p.name for p in outdir.iterdir())
    assert kept == ["photo.navier-stokes.cra.png", "photo.patchmatch.resize.png", "photo.telea.cra.png"]
    full = np.asarray(Image.open(outdir / "photo.telea.cra.png").convert("RGB"))
    assert np.array_equal(full[~files.hole], files.img[~files.hole])
    # the sheet's first tile is the input crop with the hole outlined in magenta; a result tile is the result crop
    arr = np.asarray(Image.open(sheet).convert("RGB"))
    tile0 = arr[gap + label_h:gap + label_h + th, gap:gap + tw]
    assert ((tile0[..., 0] > 200) & (tile0[..., 1] < 80) & (tile0[..., 2] > 150)).any()
    tile1 = arr[gap + label_h:gap + label_h + th, 2 * gap + tw:2 * gap + 2 * tw]
    assert np.array_equal(tile1, full[y0:y1, x0:x1].repeat(k, 0).repeat(k, 1))


def test_compare_failure_leaves_no_files(files, capsys, monkeypatch):
    """A compare that fails after some results were written removes them, and the folder it created."""
    sheet, outdir = files.dir / "sheet.png", files.dir / "made" / "full"
    _disk_full_for(sheet, monkeypatch)
    assert main(["compare", str(files.photo), str(files.mask), "-o", str(sheet), "--methods", "telea,navier-stokes",
                 "--out-dir", str(outdir)]) == 2
    assert "No space left" in _one_error_line(capsys)
    assert not sheet.exists() and not (files.dir / "made").exists()


def test_compare_refuses_repeated_and_impossible_runs_before_any(files, capsys, monkeypatch):
    """A repeated run would write one --out-dir file twice (and a --force'd file was then lost on failure);
    cra on the whole photo cannot run: both are refused before any method runs."""
    from editor.pipeline import InpaintPipeline
    ran = []
    monkeypatch.setattr(InpaintPipeline, "run", lambda self, *a, **k: ran.append(1))
    sheet = files.dir / "sheet.png"
    for methods, words in [("telea,telea", "telea is listed twice"),
                           ("telea,telea:cra", "telea:cra is the same run as telea (--hd cra)"),
                           ("telea,cra:full", "cra:full: cra cannot run on the whole full-resolution photo")]:
        assert main(["compare", str(files.photo), str(files.mask), "-o", str(sheet), "--methods", methods]) == 2
        assert words in _one_error_line(capsys)
    assert ran == [] and not sheet.exists()


def test_outputs_rollback_restores_every_replaced_file(tmp_path):
    """Two writes over existing files in one command: each keeps its own backup until the end."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    b.write_text("old b")

    def atomic(text):  # as every real write is: a temp file renamed over the target
        def write(path):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, path)
        return write
    with pytest.raises(KeyboardInterrupt):
        with cli._Outputs() as outputs:
            outputs.write(a, atomic("new a"))
            outputs.write(b, atomic("new b"))
            outputs.write(a, atomic("newer a"))
            raise KeyboardInterrupt
    assert (a.read_text(), b.read_text()) == ("old a", "old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_compare_large_crop_is_downscaled_and_labelled(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "MAX_TILE", 64)
    monkeypatch.setattr(cli, "MIN_TILE", 32)
    img = _photo(200, 260)
    Image.fromarray(img).save(tmp_path / "p.png")
    hole = np.zeros(img.shape[:2], np.uint8)
    hole[20:180, 30:230] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    assert main(["compare", str(tmp_path / "p.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / "s.png"),
                 "--methods", "telea", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert info["tile_scale"] < 1
    w, h = Image.open(tmp_path / "s.png").size
    gap, label_h, _ = cli.sheet_layout((64, 64))
    assert h <= label_h + 64 + 2 * gap


def _compare(tmp_path, capsys, img: np.ndarray, hole: np.ndarray, *extra: str) -> tuple[dict, np.ndarray, str]:
    """Run ``compare`` (telea) on a synthetic photo and mask; its JSON, the sheet (uint8 (H, W, 3)) and stderr."""
    Image.fromarray(img).save(tmp_path / "p.png")
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "m.png")
    assert main(["compare", str(tmp_path / "p.png"), str(tmp_path / "m.png"), "-o", str(tmp_path / "s.png"),
                 "--methods", "telea", "--json", "--force", *extra]) == 0
    cap = capsys.readouterr()
    return json.loads(cap.out.splitlines()[-1]), np.asarray(Image.open(tmp_path / "s.png").convert("RGB")), cap.err


def test_compare_far_apart_holes_get_a_row_each(tmp_path, capsys):
    """Two 6-px holes in opposite corners gave one crop of the whole photo (the holes a few pixels in a large
    sheet); now each is a row of its own, cropped around it, and holes close together still share one crop."""
    img = np.tile(_photo(), (5, 5, 1))                               # 480 x 640
    hole = np.zeros(img.shape[:2], bool)
    hole[20:26, 30:36] = hole[450:456, 600:606] = True
    info, sheet, _ = _compare(tmp_path, capsys, img, hole)
    assert info["crop"] == [0, 0, 68, 58]                           # the first row's (top-left: equal holes)
    assert info["hole_groups"] == 2 and [r["crop"] for r in info["rows"]] == [[0, 0, 68, 58], [568, 418, 638, 480]]
    assert all(r["tile_scale"] >= 5 for r in info["rows"])
    k = int(info["rows"][0]["tile_scale"])
    gap, label_h, _ = cli.sheet_layout((68 * k, 58 * k))
    assert sheet.shape[0] > 2 * (58 * k + label_h)                  # two rows, one above the other
    # holes 40 px apart share one crop, as one hole did before
    near = np.zeros(img.shape[:2], bool)
    near[200:230, 200:230] = near[200:230, 270:300] = True
    info, _, _ = _compare(tmp_path, capsys, img, near)
    assert info["hole_groups"] == 1 and len(info["rows"]) == 1 and info["crop"] == [168, 168, 332, 262]


def test_compare_shows_the_largest_groups_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "MAX_ROWS", 2)
    img = np.tile(_photo(), (5, 5, 1))                               # 480 x 640
    hole = np.zeros(img.shape[:2], bool)
    hole[10:30, 10:30] = True                                        # 400 px
    hole[400:410, 600:610] = True                                    # 100 px
    hole[420:424, 20:24] = True                                      # 16 px: not shown
    info, _, err = _compare(tmp_path, capsys, img, hole)
    assert info["hole_groups"] == 3 and [r["crop"][:2] for r in info["rows"]] == [[0, 0], [568, 368]]
    assert "the holes lie in 3 separate places: the sheet shows the 2 largest, one row each (97% of" in err


def test_compare_crop_of_a_thin_hole_has_a_margin_per_axis(tmp_path, capsys):
    """An 8-px line 800 px long got 200 px of margin above and below (a quarter of its length); now 32 px,
    padded so that the tile is at most 3 times as wide as high. A compact hole keeps its old crop."""
    img = np.tile(_photo(), (7, 8, 1))                               # 672 x 1024
    hole = np.zeros(img.shape[:2], bool)
    hole[330:338, 100:900] = True
    info, _, _ = _compare(tmp_path, capsys, img, hole)
    x0, y0, x1, y1 = info["crop"]
    assert (x0, x1) == (0, 1024) and y1 - y0 == 342 and y0 <= 330 and y1 >= 338    # 1024 / 3, not 8 + 400
    # a box up to twice as long as wide: a quarter of its long side on both axes (the crop before)
    for box in ([50, 60, 150, 110], [50, 60, 90, 100], [300, 300, 303, 303]):
        x0, y0, x1, y1 = box
        m = max(32, round(0.25 * max(x1 - x0, y1 - y0)))
        assert cli.crop_boxes(np.array([box]), (672, 1024)).tolist() == [[x0 - m, y0 - m, x1 + m, y1 + m]]


def test_compare_outline_of_a_thin_hole_survives_downscaling(tmp_path, capsys, monkeypatch):
    """A 1-px scratch in a crop scaled to a quarter: its outline was drawn from a nearest-neighbour mask, so it
    fell apart into dashes; it is one closed line now (the mask is max-pooled), drawn outside the hole."""
    monkeypatch.setattr(cli, "MAX_TILE", 150)
    monkeypatch.setattr(cli, "MIN_TILE", 32)
    img = np.full((600, 600, 3), 90, np.uint8)
    hole = np.zeros(img.shape[:2], np.uint8)
    import cv2
    cv2.line(hole, (60, 100), (540, 420), 1, 1)
    info, sheet, _ = _compare(tmp_path, capsys, img, hole.astype(bool))
    x0, y0, x1, y1 = info["crop"]
    assert info["tile_scale"] == 0.25 and x1 - x0 == 600
    tw, th = 150, round((y1 - y0) * 0.25)
    gap, label_h, _ = cli.sheet_layout((tw, th))
    tile0 = sheet[gap + label_h:gap + label_h + th, gap:gap + tw]
    magenta = ((tile0[..., 0] > 200) & (tile0[..., 1] < 80) & (tile0[..., 2] > 150)).astype(np.uint8)
    assert cv2.connectedComponents(magenta, connectivity=8)[0] - 1 == 1     # one unbroken outline
    small = cli.tile_hole(hole[y0:y1, x0:x1].astype(bool), (tw, th))
    assert cv2.connectedComponents(small.astype(np.uint8), connectivity=8)[0] - 1 == 1
    assert (tile0[small] == 90).all()                   # the hole itself is not painted over (nor its black edge)


def test_compare_labels_keep_their_key_information(files, capsys, monkeypatch):
    """The first tile's label lost its crop size and scale (cut from the end: "input, hole outlined (210…"); a fast
    method read "0.0 s". The crop comes first now, whole parts go before any is cut, and times under 0.1 s are
    in ms."""
    labels = []
    real = cli.compose_sheet
    monkeypatch.setattr(cli, "compose_sheet", lambda tiles: labels.extend(t[0] for t in tiles) or real(tiles))
    assert main(["compare", str(files.photo), str(files.mask), "-o", str(files.dir / "s.png"), "--methods",
                 "telea", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.splitlines()[-1])
    x0, y0, x1, y1 = info["crop"]
    k = int(info["tile_scale"])
    assert labels[0] == f"{x1 - x0}x{y1 - y0} crop, shown at {k}00% · input, hole outlined"
    import re
    assert re.fullmatch(r"telea · cra · (\d+ ms|<1 ms)", labels[1]), labels[1]    # telea on 128x96: < 0.1 s
    from editor.core.progress import seconds_text
    assert seconds_text(0.04) == "40 ms" and seconds_text(1.26) == "1.3 s" and seconds_text(0.0001) == "<1 ms"
    # shortened to a tile: whole parts go first, then characters
    width = 8.0
    measure = lambda text: width * len(text)                          # noqa: E731 - 8 px a character
    assert cli.fit_label("210x301 crop, at 100% · input, hole outlined", 8 * 25, measure) == "210x301 crop, at 100%"
    assert cli.fit_label("210x301 crop, at 100% · input", 8 * 12, measure) == "210x301 cro…"


def test_compare_quality_applies_to_a_jpeg_sheet(files, capsys):
    """--quality set the --out-dir results' quality, but a JPEG sheet was always written at 95."""
    from editor.core.jpeg_quality import jpeg_settings
    sheet = files.dir / "sheet.jpg"
    assert main(["compare", str(files.photo), str(files.mask), "-o", str(sheet), "--methods", "telea",
                 "--quality", "20", "--out-dir", str(files.dir / "full"), "--json"]) == 0
    assert jpeg_settings(sheet)[0] == 20
    assert main(["compare", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "quality 1-100 of the sheet and the --out-dir results" in text
    assert "at full resolution" not in text and "one row per group of nearby holes" in text


def test_compare_out_dir_messages(files, capsys):
    """-o equal to an --out-dir result said "the output and the output ... are the same file"; --out-dir ""
    was silently ignored (as if it were not given)."""
    outdir = files.dir / "full"
    outdir.mkdir()
    sheet = outdir / "photo.telea.cra.png"
    sheet.write_bytes(b"x")
    assert main(["compare", str(files.photo), str(files.mask), "-o", str(sheet), "--methods", "telea",
                 "--out-dir", str(outdir), "--force"]) == 2
    assert _one_error_line(capsys) == (f"error: {sheet}: the sheet and the --out-dir result of telea are the same "
                                       f"file; give the sheet another name")
    assert main(["compare", str(files.photo), str(files.mask), "-o", str(files.dir / "s.png"), "--methods", "telea",
                 "--out-dir", ""]) == 2
    assert _one_error_line(capsys).startswith("error: argument --out-dir: the name is empty")
    assert not (files.dir / "s.png").exists() and sheet.read_bytes() == b"x"


def test_an_empty_output_name_is_refused_not_taken_for_the_current_folder(files, capsys):
    """``-o ""`` said "error: .: is a folder" (Path("") is "."); every file or folder name option now says it is
    empty."""
    for cmd in (["inpaint", str(files.photo), str(files.mask), "-o", ""],
                ["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png"), "--preview", " "],
                ["compare", str(files.photo), str(files.mask), "-o", "", "--methods", "telea"],
                ["evaluate", "--images", str(files.dir), "--methods", "telea", "--masks-out", ""]):
        assert main(cmd) == 2
        line = _one_error_line(capsys)
        assert "the name is empty" in line and "is a folder" not in line, line
    assert not (files.dir / "o.png").exists()


def test_every_command_has_a_description_and_evaluate_names_the_shared_data_variable(capsys):
    """`open --help` and `methods --help` showed only usage and options; evaluate's --templates help did not say
    that INPAINT_STUDIO_SHARED_DATA points it at the templates."""
    import argparse
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        if name != "train":                                           # (train has its own parser)
            assert parser.description, name
    assert main(["evaluate", "--help"]) == 0
    assert "$INPAINT_STUDIO_SHARED_DATA/mask-templates" in " ".join(capsys.readouterr().out.split())


def test_methods_json(capsys):
    assert main(["methods", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = {r["name"]: r for r in info["methods"]}
    assert {"telea", "navier-stokes", "patchmatch"} <= set(rows)
    assert sum(r["default"] for r in rows.values()) == 1 and rows[info["default"]]["default"]
    for r in rows.values():
        assert {"name", "kind", "available", "reason", "default", "parameters", "description",
                "full_resolution"} <= set(r)
        assert r["kind"] in ("classical", "network")
    assert rows["telea"]["full_resolution"] is True and rows["cra"]["full_resolution"] is False  # --hd full
    assert main(["methods"]) == 0
    text = capsys.readouterr().out
    assert "telea" in text and "default" in text


def test_dispatch_gui_train_selftest(monkeypatch, tmp_path, capsys):
    calls = []
    app = types.ModuleType("editor.ui.app")
    app.run_editor = lambda photo=None, mask=None, invert_mask=False: calls.append(("editor", photo, mask)) or 0
    train = types.ModuleType("editor.training.cli")
    train.train_main = lambda argv: calls.append(("train", argv)) or 3
    selftest = types.ModuleType("editor.selftest")
    selftest.run_self_test = lambda: calls.append(("selftest",)) or 0
    monkeypatch.setitem(sys.modules, "editor.ui.app", app)
    monkeypatch.setitem(sys.modules, "editor.training.cli", train)
    monkeypatch.setitem(sys.modules, "editor.selftest", selftest)
    monkeypatch.setenv("INPAINT_STUDIO_MODELS", "")  # recorded, so the value main() sets is undone afterwards
    monkeypatch.delenv("INPAINT_STUDIO_MODELS")
    assert main([]) == 0
    assert main(["open", "a.jpg", "--mask", "m.png"]) == 0
    assert main(["train", "cra", "--steps", "3", "--help"]) == 3
    assert main(["--self-test"]) == 0
    assert main(["--models-dir", str(tmp_path), "methods"]) == 0
    assert os.environ["INPAINT_STUDIO_MODELS"] == str(tmp_path.resolve())
    assert calls == [("editor", None, None), ("editor", "a.jpg", "m.png"), ("train", ["cra", "--steps", "3", "--help"]),
                     ("selftest",)]
    capsys.readouterr()
    assert main(["--models-dir", str(tmp_path / "nope"), "methods"]) == 2
    _one_error_line(capsys)
    other = tmp_path / "other"
    other.mkdir()
    assert main(["methods", "--models-dir", str(other)]) == 0  # after the command name too
    assert os.environ["INPAINT_STUDIO_MODELS"] == str(other.resolve())
    assert main(["methods", "--models-dir", str(tmp_path / "nope")]) == 2
    assert "--models-dir" in _one_error_line(capsys)


def test_version(capsys):
    from editor import __version__
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_peak_rss_and_progress_bar(capsys):
    assert cli.peak_rss_mb() > 10
    bar = cli._Progress("x", enabled=True)
    for stage in bar.STAGES:
        bar(stage, 0.5)
    assert bar.bar.n == pytest.approx(3.5)
    bar.close()
    assert capsys.readouterr().out == ""  # the bar never writes to stdout


def test_hifill_sample_end_to_end(shared_data, tmp_path, capsys):
    """A real 1200x800 photo with a hand-drawn object mask (black = hole): only hole pixels change."""
    from editor.core.imageio import load_image, load_mask
    photo = shared_data / "hifill-samples" / "images" / "14.jpg"
    mask = shared_data / "hifill-samples" / "masks" / "14.jpg"
    out = tmp_path / "14_filled.png"
    assert main(["inpaint", str(photo), str(mask), "--invert-mask", "-o", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (info["width"], info["height"]) == (1200, 800) and 0.01 < info["hole_fraction"] < 0.5
    src = load_image(photo).image
    hole = load_mask(mask, (1200, 800), invert=True)
    res = np.asarray(Image.open(out).convert("RGB"))
    changed = np.any(res != src, axis=2)
    assert not changed[~hole].any()  # the known region is bit-identical
    assert changed[hole].mean() > 0.5  # the object really was replaced


def _fake_network_cls():
    import cv2

    from editor.methods.base import InpaintMethod, LowResResult

    class FakeNet(InpaintMethod):
        name = "fake-net"
        kind = "network"
        description = "test double of a network method"
        multiple = 8
        devices: list = []

        def __init__(self, device: str = "cpu") -> None:
            super().__init__(device)
            FakeNet.devices.append(device)

        def parameter_count(self) -> int:
            return 1234

        def inpaint(self, image, hole, reporter=None):
            assert image.shape[0] % 8 == 0 and image.shape[1] % 8 == 0
            return LowResResult(cv2.blur(image, (9, 9)))

    return FakeNet


def test_network_method_device_resolution(files, capsys, monkeypatch):
    import torch

    from editor.methods import base
    base._ensure_loaded()
    fake = _fake_network_cls()
    monkeypatch.setitem(base._REGISTRY, "fake-net", fake)
    out = files.dir / "net.png"
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--method", "fake-net",
                 "--device", "auto", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.splitlines()[-1])
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    assert info["device"] == expected and fake.devices[-1] == expected
    res = np.asarray(Image.open(out).convert("RGB"))
    assert np.array_equal(res[~files.hole], files.img[~files.hole])
    if not torch.cuda.is_available():
        assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--force", "--method",
                     "fake-net", "--device", "cuda"]) == 2
        assert "CUDA" in _one_error_line(capsys)
    assert main(["methods", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out.splitlines()[-1])["methods"]}
    assert rows["fake-net"]["kind"] == "network" and rows["fake-net"]["parameters"] == 1234
    assert not rows["fake-net"]["default"]
    # evaluate runs any registry method, networks included
    imgs = files.dir / "imgs"
    imgs.mkdir()
    Image.fromarray(files.img).save(imgs / "a.png")
    masks = files.dir / "masks"
    masks.mkdir()
    Image.fromarray(files.hole.astype(np.uint8) * 255).save(masks / "a.png")
    assert main(["evaluate", "--images", str(imgs), "--masks", str(masks), "--methods", "fake-net,telea",
                 "--size", "128", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [s["method"] for s in ev["scores"]] == ["fake-net", "telea"]


def test_no_display_is_one_line(monkeypatch, capsys):
    called = []
    app = types.ModuleType("editor.ui.app")
    app.run_editor = lambda photo=None, mask=None, invert_mask=False: called.append(1) or 0
    monkeypatch.setitem(sys.modules, "editor.ui.app", app)
    monkeypatch.setattr(sys, "platform", "linux")
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(k, raising=False)
    assert main([]) == 2 and main(["open", "x.jpg"]) == 2
    err = capsys.readouterr().err
    assert err.count("error: no display") == 2 and not called


def test_train_without_training_package_says_so(capsys, monkeypatch):
    """The desktop bundle leaves editor.training out: `train` must explain, not print an internal error."""
    monkeypatch.setitem(sys.modules, "editor.training.cli", None)  # import now raises ModuleNotFoundError
    assert main(["train", "cra", "--images", "x", "--out", "y"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: training is not part of the desktop app")


def test_open_without_photo_opens_empty_editor(monkeypatch):
    seen = {}
    fake = types.ModuleType("editor.ui.app")
    fake.run_editor = lambda photo=None, mask=None, invert_mask=False: seen.update(
        photo=photo, mask=mask, invert_mask=invert_mask) or 0
    monkeypatch.setitem(sys.modules, "editor.ui.app", fake)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert main(["open"]) == 0 and seen == {"photo": None, "mask": None, "invert_mask": False}
    # a HiFill mask (black = hole) is opened the right way round with --invert-mask, as `inpaint` reads it
    assert main(["open", "p.jpg", "--mask", "m.jpg", "--invert-mask"]) == 0
    assert seen == {"photo": "p.jpg", "mask": "m.jpg", "invert_mask": True}


def test_the_program_ends_with_os_exit_while_an_abandoned_native_call_runs(monkeypatch, capsys):
    """Interrupted during a native call that goes on running: the process must not run the interpreter's normal
    exit (OpenCV's teardown under the running call aborted it: exit -6 instead of 130)."""
    import editor.core.progress as progress

    class Exited(Exception):
        pass

    def fake_exit(code):
        raise Exited(code)
    monkeypatch.setattr(os, "_exit", fake_exit)
    monkeypatch.setattr(sys, "argv", ["inpaint-studio", "methods"])
    monkeypatch.setattr(progress, "abandoned_calls_running", lambda: True)
    with pytest.raises(Exited) as info:
        main()
    assert info.value.args == (0,) and "telea" in capsys.readouterr().out
    assert main(["methods"]) == 0  # called with arguments (tests, embedding): returns as usual
    monkeypatch.setattr(progress, "abandoned_calls_running", lambda: False)
    assert main() == 0


def test_grayscale_photo_comes_back_grayscale(tmp_path, capsys):
    """A black-and-white JPEG is inpainted and written back as a grayscale JPEG, not as RGB."""
    g = _photo()[:, :, 1]
    Image.fromarray(g, "L").save(tmp_path / "bw.jpg", quality=95)
    hole = np.zeros(g.shape, np.uint8)
    hole[30:50, 40:70] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    for out in ("o.jpg", "o.png"):
        assert main(["inpaint", str(tmp_path / "bw.jpg"), str(tmp_path / "m.png"), "--method", "telea",
                     "-o", str(tmp_path / out)]) == 0
    known = np.asarray(Image.open(tmp_path / "bw.jpg"))[hole == 0]
    with Image.open(tmp_path / "o.jpg") as jpg, Image.open(tmp_path / "o.png") as png:
        assert jpg.mode == "L" and png.mode == "L"
        np.testing.assert_array_equal(np.asarray(png)[hole == 0], known)


def test_exif_too_large_for_a_jpeg_output_is_refused_before_the_work(files, capsys, monkeypatch):
    exif = Image.Exif()
    exif[0x010E] = "x" * 70_000                                   # ImageDescription: 70 KB
    Image.fromarray(files.img).save(files.dir / "big_exif.png", exif=exif.tobytes())
    from editor.pipeline import InpaintPipeline

    def no_run(*a, **k):
        raise AssertionError("the pipeline ran")
    monkeypatch.setattr(InpaintPipeline, "run", no_run)
    out = files.dir / "o.jpg"
    assert main(["inpaint", str(files.dir / "big_exif.png"), str(files.mask), "-o", str(out), "--method",
                 "telea"]) == 2
    assert "does not fit in a JPEG" in _one_error_line(capsys) and not out.exists()


def test_ctrl_c_while_the_program_loads_is_one_line_and_exit_130():
    """Ctrl+C in the first fraction of a second lands while numpy / OpenCV load: one line, exit 130, no traceback.
    (The console script and the bundle enter through ``editor.__main__.run``.)"""
    code = ("import sys\n"
            "class Interrupt:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'editor.cli':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Interrupt())\n"
            "from editor.__main__ import run\n"
            "sys.exit(run())\n")
    proc = subprocess.run([sys.executable, "-c", code, "methods"], capture_output=True, text=True, cwd=REPO,
                          timeout=60)
    assert proc.returncode == 130 and proc.stderr == "interrupted: nothing was written\n"
    from importlib.metadata import entry_points
    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("inpaint-studio") == "editor.__main__:run"


def test_grow_mask_grows_the_full_resolution_hole(files, capsys):
    """--grow-mask PX: pixels within PX of the given hole are filled too (a tight mask's outline goes); none
    further out changes."""
    out = files.dir / "grown.png"
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--method", "telea",
                 "--grow-mask", "4", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    from editor.core.masks import dilate
    grown = dilate(files.hole, 4)
    assert info["hole_fraction"] == pytest.approx(grown.mean())
    res = np.asarray(Image.open(out).convert("RGB"))
    assert np.array_equal(res[~grown], files.img[~grown])
    assert (res[grown & ~files.hole] != files.img[grown & ~files.hole]).any()


def test_output_that_is_a_folder_is_named_so(files, capsys):
    (files.dir / "results").mkdir()
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "results")]) == 2
    assert _one_error_line(capsys).endswith("results: is a folder")


def test_unknown_option_points_to_the_commands_own_help(files, capsys):
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png"), "--bogus"]) == 2
    assert _one_error_line(capsys) == "error: unrecognized arguments: --bogus (see 'inpaint-studio inpaint --help')"
    assert main(["--bogus"]) == 2
    assert _one_error_line(capsys) == "error: unrecognized arguments: --bogus (see 'inpaint-studio --help')"


def test_empty_mask_of_coloured_strokes_says_why(files, capsys):
    """Pure red strokes have luminance 76: no hole. The note says why instead of only 'empty'."""
    red = np.zeros((*files.img.shape[:2], 3), np.uint8)
    red[30:50, 40:70] = (255, 0, 0)
    Image.fromarray(red).save(files.dir / "red.png")
    assert main(["inpaint", str(files.photo), str(files.dir / "red.png"), "-o", str(files.dir / "o.png")]) == 0
    err = capsys.readouterr().err
    assert "mask is empty" in err and "coloured strokes are darker than mid-grey" in err
    assert main(["inpaint", str(files.photo), str(files.empty), "-o", str(files.dir / "o2.png")]) == 0
    assert "coloured" not in capsys.readouterr().err


def test_a_hole_grown_over_the_whole_photo_names_the_flag(files, capsys):
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png"),
                 "--grow-mask", "1000"]) == 2
    line = _one_error_line(capsys)
    assert "--grow-mask 1000" in line and "invert" not in line
    assert main(["--bogus", "inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png")]) == 2
    assert _one_error_line(capsys).endswith("(see 'inpaint-studio --help')")


def test_sigterm_during_a_run_writes_nothing_and_exits_143(files, capsys, monkeypatch):
    """``kill`` / ``timeout``: unwinds like Ctrl+C (the early preview is removed again), but ends with 143 = 128 +
    SIGTERM, the code a shell and a process supervisor expect from a terminated program (not Ctrl+C's 130)."""
    import signal

    from editor.pipeline import InpaintPipeline
    real = InpaintPipeline.run

    def killed_during_the_run(self, *a, **k):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(self, *a, **k)
    monkeypatch.setattr(InpaintPipeline, "run", killed_during_the_run)
    previous = signal.getsignal(signal.SIGTERM)
    out, preview = files.dir / "o.png", files.dir / "p.png"
    try:
        rc = main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--preview", str(preview),
                   "--method", "telea"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert rc == 143 and capsys.readouterr().err == "terminated: nothing was written\n"
    assert not out.exists() and not preview.exists()


def test_empty_mask_of_zeros_and_ones_says_why(files, capsys):
    """A mask saved with the values 0 and 1 (machine-learning tools) reads as empty: the note says so."""
    ones = np.zeros(files.img.shape[:2], np.uint8)
    ones[30:50, 40:70] = 1
    Image.fromarray(ones).save(files.dir / "ones.png")
    assert main(["inpaint", str(files.photo), str(files.dir / "ones.png"), "-o", str(files.dir / "o.png")]) == 0
    assert "values are 0 and 1" in capsys.readouterr().err


def test_empty_mask_over_pillows_pixel_limit_keeps_to_max_pixels(files, capsys, monkeypatch):
    """The empty-mask note reads the mask again: it must keep to the --max-pixels the user gave, not Pillow's
    own limit (a warning text on stderr above it, an internal error at twice it)."""
    from PIL import Image as PILImage
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 1000)   # the 96x64 photo is now "over the limit"
    args = ["inpaint", str(files.photo), str(files.empty), "-o", str(files.dir / "o.png"), "--max-pixels", "20000"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "mask is empty" in err and "Warning" not in err and "internal error" not in err
    assert PILImage.MAX_IMAGE_PIXELS == 1000


def test_a_wrong_method_or_option_is_said_before_an_existing_output(files, capsys):
    """Checked in the order a user fixes things: a bad --method / --methods / --lowres-size is named at once, not
    only after --force for an output that exists."""
    out = files.dir / "exists.png"
    out.write_bytes(b"x")
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--method", "nosuch"]) == 2
    assert "nosuch" in _one_error_line(capsys)
    assert main(["compare", str(files.photo), str(files.mask), "-o", str(out), "--methods", "telea:bogus"]) == 2
    assert "bogus" in _one_error_line(capsys)
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(out), "--lowres-size", "8"]) == 2
    assert _one_error_line(capsys).startswith("error: argument --lowres-size: expected a whole number of px, "
                                              "16 or more, got 8")
    assert out.read_bytes() == b"x"


def test_the_cli_keeps_to_the_pipelines_smallest_lowres_size():
    from editor.cli import _lowres
    from editor.pipeline.pipeline import MIN_LOWRES_SIZE
    assert _lowres(str(MIN_LOWRES_SIZE)) == MIN_LOWRES_SIZE
    with pytest.raises(Exception):
        _lowres(str(MIN_LOWRES_SIZE - 1))


def test_a_hole_over_most_of_the_photo_points_to_invert_mask(files, capsys):
    """A black = hole mask read as white = hole (the HiFill samples without --invert-mask: 97.6 % hole) ran
    without a word. Now a note says how to flip it; an ordinary hole gets none."""
    inverted = 255 - np.asarray(Image.open(files.mask))
    Image.fromarray(inverted).save(files.dir / "black_is_hole.png")
    assert main(["inpaint", str(files.photo), str(files.dir / "black_is_hole.png"), "-o", str(files.dir / "a.png"),
                 "--method", "telea"]) == 0
    assert "if the mask's black marks what should go, run it with --invert-mask" in capsys.readouterr().err
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "b.png"), "--method",
                 "telea"]) == 0
    assert "note" not in capsys.readouterr().err


def test_a_file_where_a_folder_is_expected_is_named_as_such(files, capsys):
    """--models-dir, evaluate's --images and --masks said "no such folder" of a file that exists."""
    photo = str(files.photo)
    assert main(["--models-dir", photo, "methods"]) == 2
    assert _one_error_line(capsys) == f"error: --models-dir {photo}: is a file, not a folder"
    assert main(["evaluate", "--images", photo, "--methods", "telea"]) == 2
    assert _one_error_line(capsys) == f"error: {photo}: is a file, not a folder"
    assert main(["evaluate", "--images", str(files.dir / "nowhere"), "--methods", "telea"]) == 2
    assert _one_error_line(capsys).endswith("nowhere: no such folder")


def test_force_onto_a_symbolic_link_writes_its_target_and_keeps_the_link(files, capsys):
    """-o LINK --force put a plain file where the link was and left its target as it was."""
    target = files.dir / "real.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(target)
    link = files.dir / "link.png"
    link.symlink_to(target)
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(link), "--force", "--method", "telea"]) == 0
    assert link.is_symlink() and Image.open(target).size == Image.open(files.photo).size
    assert not [p for p in files.dir.iterdir() if p.name.startswith(".")]   # no backup or temp file left


def test_device_for_a_classical_method_is_noted_not_silently_ignored(files, capsys):
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "o.png"), "--method", "telea",
                 "--device", "cuda"]) == 0
    assert "telea is a classical method and runs on the CPU; --device cuda is for network methods" in \
        capsys.readouterr().err


def test_quality_keep_saves_a_jpeg_as_its_photo_was_saved(files, capsys):
    """--quality keep: a JPEG photo's own quality and chroma subsampling (the editor's rule), instead of 95 and
    4:4:4 that made the 24 MP sample three times its size. Anything else keeps the default."""
    from PIL import JpegImagePlugin

    from editor.core.jpeg_quality import jpeg_settings
    src = files.dir / "q70.jpg"
    Image.fromarray(files.img).save(src, quality=70, subsampling=2)
    out = files.dir / "o.jpg"
    assert main(["inpaint", str(src), str(files.mask), "-o", str(out), "--method", "telea", "--quality", "keep"]) == 0
    assert jpeg_settings(out) == (70, 2)
    with Image.open(out) as img:
        assert JpegImagePlugin.get_sampling(img) == 2
    assert main(["inpaint", str(files.photo), str(files.mask), "-o", str(files.dir / "p.jpg"), "--method", "telea",
                 "--quality", "keep"]) == 0                           # a PNG photo: the defaults
    assert jpeg_settings(files.dir / "p.jpg") == (95, 0)
    assert main(["inpaint", str(src), str(files.mask), "-o", str(files.dir / "x.jpg"), "--quality", "best"]) == 2
    assert "or 'keep'" in _one_error_line(capsys)


def test_the_help_says_train_needs_a_source_install_where_training_is_left_out(capsys, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "editor.training" else real(name, *a))
    assert main(["--help"]) == 0
    assert "needs a source install" in capsys.readouterr().out


def test_compare_says_when_specks_beyond_the_grouped_holes_are_left_out(tmp_path, capsys):
    """Over 256 separate holes only the largest are grouped; a far speck among the rest was neither shown nor
    mentioned (the note came only when groups outnumbered rows)."""
    rng = np.random.default_rng(0)
    photo = tmp_path / "p.png"
    Image.fromarray(rng.integers(0, 255, (600, 900, 3), dtype=np.uint8)).save(photo)
    mask = np.zeros((600, 900), np.uint8)
    for i in range(300):                                   # 300 specks of 2x2 px, 6 px apart, top left
        y, x = 10 + 6 * (i // 20), 10 + 6 * (i % 20)
        mask[y:y + 2, x:x + 2] = 255
    mask[580, 880] = 255                                   # one 1-px speck far away: not among the 256 largest
    Image.fromarray(mask).save(tmp_path / "m.png")
    assert main(["compare", str(photo), str(tmp_path / "m.png"), "-o", str(tmp_path / "s.png"),
                 "--methods", "telea"]) == 0
    err = capsys.readouterr().err
    assert "more than 256 separate holes: the sheet shows" in err

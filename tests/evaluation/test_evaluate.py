"""``evaluate``: seeded masks are saved and reproducible; given masks replay a run; numbers make sense."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from editor.cli import main
from editor.evaluation.evaluate import evaluate, resize_long_side


@pytest.fixture
def data(tmp_path):
    """Two tiny photos (one larger than --size, so it is downscaled) and three object templates."""
    imgs = tmp_path / "images"
    imgs.mkdir()
    for i, (h, w) in enumerate([(120, 160), (60, 90)]):
        yy, xx = np.mgrid[0:h, 0:w]
        img = np.stack([30 + xx + 20 * i, 50 + yy, 90 + (xx * yy) % 40], -1) + 15 * ((xx // 3) % 2)[..., None]
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(imgs / f"p{i}.png")
    (imgs / "notes.txt").write_text("not an image")  # ignored
    tmpl = tmp_path / "templates"
    tmpl.mkdir()
    for i in range(3):
        t = np.zeros((64, 64), np.uint8)
        cv2.ellipse(t, (32, 32), (10 + 6 * i, 22), 30 * i, 0, 360, 255, -1)
        Image.fromarray(t).save(tmpl / f"t{i}.png")
    return tmp_path


def _run(data, capsys, out, seed, *extra):
    rc = main(["evaluate", "--images", str(data / "images"), "--size", "96", "--methods", "telea,patchmatch",
               "--hd", "resize", "--mask-kind", "both", "--seed", str(seed), "--templates", str(data / "templates"),
               "--masks-out", str(out), "--json", *extra])
    assert rc == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_reproducible_with_saved_masks(data, capsys):
    a = _run(data, capsys, data / "m_a", 7)
    b = _run(data, capsys, data / "m_b", 7)
    c = _run(data, capsys, data / "m_c", 8)
    names = sorted(p.name for p in (data / "m_a").iterdir())
    assert names == ["p0.free-form.png", "p0.object.png", "p1.free-form.png", "p1.object.png"]
    for n in names:
        assert (data / "m_a" / n).read_bytes() == (data / "m_b" / n).read_bytes()
    assert any((data / "m_a" / n).read_bytes() != (data / "m_c" / n).read_bytes() for n in names)
    strip = lambda r: [{k: v for k, v in s.items() if k != "seconds"} for s in r["scores"]]  # noqa: E731
    assert strip(a) == strip(b) and strip(a) != strip(c)
    assert len(a["scores"]) == 2 * 2 * 2  # images x mask kinds x methods
    assert {(s["width"], s["height"]) for s in a["scores"]} == {(96, 72), (90, 60)}  # downscaled / kept
    # the summary has one row per method and kind, plus "all"
    rows = {(r["method"], r["mask_kind"]): r for r in a["summary"]}
    assert set(rows) == {(m, k) for m in ("telea", "patchmatch") for k in ("free-form", "object", "all")}
    assert rows[("telea", "all")]["n"] == 4 and 10 < rows[("telea", "all")]["psnr"] < 60
    # replaying the saved masks (matched by stem and kind) gives the same numbers
    rc = main(["evaluate", "--images", str(data / "images"), "--size", "96", "--methods", "telea,patchmatch",
               "--hd", "resize", "--masks", str(data / "m_a"), "--json"])
    assert rc == 0
    replay = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert strip(replay) == strip(a)
    # the JSON gives the pipeline's values in use (not null for defaults), and no seed for replayed masks
    from editor.pipeline.pipeline import DEFAULT_DILATE, DEFAULT_LOWRES_SIZE
    assert (a["lowres_size"], a["dilate"], a["seed"]) == (DEFAULT_LOWRES_SIZE, DEFAULT_DILATE, 7)
    assert replay["seed"] is None and replay["mask_kind"] == "given"


def test_scores_match_metrics_and_limit(data, tmp_path):
    from editor.core.imageio import load_image, load_mask
    from editor.evaluation.metrics import psnr
    from editor.pipeline import InpaintPipeline
    ev = evaluate(data / "images", ["telea"], mask_kind="free-form", size=96, hd="resize", seed=3, limit=1,
                  masks_out=tmp_path / "m")
    assert [s.image for s in ev.scores] == ["p0.png"]
    s = ev.scores[0]
    truth = resize_long_side(load_image(data / "images" / "p0.png").image, 96)
    hole = load_mask(tmp_path / "m" / "p0.free-form.png", (96, 72))
    assert s.hole_fraction == pytest.approx(hole.mean()) and 0 < s.hole_fraction < 0.6
    out = InpaintPipeline("telea", hd="resize").run(truth, hole).image
    assert s.psnr == pytest.approx(psnr(out, truth, hole))


def test_given_masks_plain_stem_and_missing(data, tmp_path, capsys):
    masks = tmp_path / "given"
    masks.mkdir()
    m = np.zeros((120, 160), np.uint8)
    m[40:70, 60:100] = 255
    Image.fromarray(m).save(masks / "p0.png")  # full-size mask: scaled to the evaluated size
    ev = evaluate(data / "images", ["telea"], masks_dir=masks, size=96, hd="resize", limit=1)
    assert [(s.image, s.mask_kind) for s in ev.scores] == [("p0.png", "given")]
    assert ev.scores[0].hole_fraction == pytest.approx(m.astype(bool).mean(), abs=0.01)
    assert main(["evaluate", "--images", str(data / "images"), "--masks", str(masks), "--methods", "telea"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "p1.png" in err and err.count("\n") == 1


def test_a_given_mask_of_another_shape_is_refused_not_stretched(data, tmp_path, capsys):
    """A mask turned by 90° (or made for another photo) used to be stretched over the photo and scored; a mask of
    the photo's shape at its full size is still scaled to the evaluated size."""
    masks = tmp_path / "given"
    masks.mkdir()
    m = np.zeros((160, 120), np.uint8)                      # p0 is 160x120: this one is 120x160, turned
    m[60:100, 40:70] = 255
    Image.fromarray(m).save(masks / "p0.png")
    assert main(["evaluate", "--images", str(data / "images"), "--masks", str(masks), "--methods", "telea",
                 "--limit", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "120x160, not the shape of p0.png" in err and "turned by 90°" in err
    Image.fromarray(np.zeros((121, 160), np.uint8)).save(masks / "p0.png")   # one row off: the same shape
    ev = evaluate(data / "images", ["telea"], masks_dir=masks, size=96, hd="resize", limit=1)
    assert ev.skipped == [("p0.png", "given", "empty")]
    # nothing left to evaluate: the one error line says why, not only that
    assert main(["evaluate", "--images", str(data / "images"), "--masks", str(masks), "--methods", "telea",
                 "--limit", "1"]) == 2
    assert capsys.readouterr().err == ("error: no image had a usable mask: nothing was evaluated (p0.png [given]: "
                                       "the mask is empty)\n")


def test_unknown_method_fails_fast(data, capsys):
    assert main(["evaluate", "--images", str(data / "images"), "--methods", "telea,nope"]) == 2
    assert "unknown method 'nope'" in capsys.readouterr().err


def test_method_hd_entries_in_one_run(data, tmp_path, capsys):
    rc = main(["evaluate", "--images", str(data / "images"), "--size", "96", "--methods", "telea:cra,telea:resize",
               "--mask-kind", "free-form", "--masks-out", str(tmp_path / "m"), "--json"])
    assert rc == 0
    ev = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(r["method"], r["hd"], r["n"]) for r in ev["summary"]] == [("telea", "cra", 2), ("telea", "resize", 2)]
    assert main(["evaluate", "--images", str(data / "images"), "--methods", "telea:sideways"]) == 2
    assert "unknown HD strategy" in capsys.readouterr().err


def _eval(data, *extra):
    """``evaluate`` telea on the data's photos at size 96, with free-form masks unless ``--masks`` is given."""
    kind = [] if "--masks" in extra else ["--mask-kind", "free-form"]
    return main(["evaluate", "--images", str(data / "images"), "--size", "96", "--methods", "telea", "--hd", "resize",
                 *kind, *extra])


def test_a_repeated_run_is_refused(data, capsys):
    for methods, words in [("telea,telea", "telea is listed twice"),
                           ("telea,telea:cra", "telea:cra is the same run as telea (--hd cra)")]:
        assert main(["evaluate", "--images", str(data / "images"), "--methods", methods]) == 2
        err = capsys.readouterr().err
        assert err == f"error: --methods: {words}\n"


def test_masks_out_is_all_or_nothing_and_never_mixes_runs(data, tmp_path, capsys, monkeypatch):
    out = tmp_path / "made" / "masks"
    assert _eval(data, "--masks-out", str(out), "--seed", "1") == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(first) == ["p0.free-form.png", "p1.free-form.png"]
    capsys.readouterr()
    # a second run into the same folder would mix its masks with these: refused, the folder untouched
    assert _eval(data, "--masks-out", str(out), "--seed", "2") == 2
    assert "already holds 2 generated masks" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    # --force replaces them, and removes a mask of the earlier run that this run does not make
    (out / "gone.free-form.png").write_bytes(first["p0.free-form.png"])
    assert _eval(data, "--masks-out", str(out), "--seed", "2", "--force") == 0
    second = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(second) == ["p0.free-form.png", "p1.free-form.png"] and second != first
    # a run that fails half-way (the second photo) leaves nothing: no new folder, no masks, old masks intact
    import editor.core.imageio as imageio
    real = imageio.load_image
    calls = []

    def second_fails(path, **kw):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(path, **kw)
    monkeypatch.setattr(imageio, "load_image", second_fails)
    fresh = tmp_path / "new" / "deeper"
    assert _eval(data, "--masks-out", str(fresh)) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    calls.clear()
    assert _eval(data, "--masks-out", str(out), "--seed", "5", "--force") == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == second  # nor a staging folder
    calls.clear()
    import tempfile
    before = set(Path(tempfile.gettempdir()).glob("inpaint-eval-masks-*"))
    assert _eval(data) == 130  # the default temp folder is removed too
    assert set(Path(tempfile.gettempdir()).glob("inpaint-eval-masks-*")) == before


def test_masks_out_errors(data, tmp_path, capsys):
    photo = data / "images" / "p0.png"
    assert _eval(data, "--masks-out", str(photo)) == 2
    assert capsys.readouterr().err == f"error: --masks-out {photo}: is a file, not a folder\n"
    assert _eval(data, "--masks", str(tmp_path), "--masks-out", str(tmp_path / "m")) == 2
    assert "with --masks none are generated" in capsys.readouterr().err
    assert _eval(data, "--masks-out", str(data / "images")) == 2
    assert "is the --images folder" in capsys.readouterr().err
    # the photos read as masks (65 % holes, scored without a word), templates polluted, a wrong folder unnamed
    assert _eval(data, "--masks", str(data / "images")) == 2
    assert "--masks" in (err := capsys.readouterr().err) and "is the --images folder" in err
    assert _eval(data, "--templates", str(tmp_path / "none")) == 2
    assert capsys.readouterr().err == f"error: --templates {tmp_path / 'none'}: no such folder\n"
    assert _eval(data, "--templates", str(tmp_path), "--masks-out", str(tmp_path)) == 2
    assert "is the --templates folder" in capsys.readouterr().err


def test_stems_name_masks_unambiguously(data, tmp_path, capsys):
    imgs = data / "images"
    (imgs / "p0.v2.png").write_bytes((imgs / "p1.png").read_bytes())
    out = tmp_path / "m"
    assert _eval(data, "--masks-out", str(out), "--json") == 0
    made = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert _eval(data, "--masks", str(out), "--json") == 0
    replay = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # p0.v2's mask is not also taken as p0's mask of kind "v2.free-form"
    assert sorted((s["image"], s["mask_kind"]) for s in replay["scores"]) == \
        [("p0.png", "free-form"), ("p0.v2.png", "free-form"), ("p1.png", "free-form")]
    assert [s["psnr"] for s in replay["scores"]] == [s["psnr"] for s in made["scores"]]
    (imgs / "p0.free-form.png").write_bytes((imgs / "p1.png").read_bytes())  # p0's free-form mask's name
    assert _eval(data, "--masks-out", str(tmp_path / "m3")) == 2
    assert "p0.free-form.png is named like the free-form mask of p0.png" in capsys.readouterr().err
    (imgs / "p0.free-form.png").unlink()
    (imgs / "p1.jpg").write_bytes(b"")  # same stem as p1.png: their masks would overwrite each other
    assert _eval(data, "--masks-out", str(tmp_path / "m2")) == 2
    assert "p1.jpg and p1.png have the same name 'p1'" in capsys.readouterr().err
    assert not (tmp_path / "m2").exists()


def test_skipped_masks_are_said_and_recorded(data, tmp_path, capsys):
    masks = tmp_path / "given"
    masks.mkdir()
    Image.fromarray(np.zeros((120, 160), np.uint8)).save(masks / "p0.png")  # empty
    m = np.zeros((60, 90), np.uint8)
    m[10:30, 20:50] = 255
    Image.fromarray(m).save(masks / "p1.png")
    assert main(["evaluate", "--images", str(data / "images"), "--masks", str(masks), "--methods", "telea",
                 "--detail", "0.5", "--json"]) == 0
    cap = capsys.readouterr()
    assert "note: skipped p0.png [given]: the mask is empty" in cap.err  # stderr is not a terminal here
    ev = json.loads(cap.out.strip().splitlines()[-1])
    assert ev["skipped"] == [{"image": "p0.png", "mask_kind": "given", "reason": "empty"}]
    assert ev["detail"] == 0.5 and [s["image"] for s in ev["scores"]] == ["p1.png"]
    assert main(["evaluate", "--images", str(data / "images"), "--masks", str(masks), "--methods", "telea",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["detail"] == 1.0  # the default, stated


def test_sigterm_unwinds_like_ctrl_c(data, tmp_path, capsys, monkeypatch):
    """``kill`` / ``timeout`` during a run: no masks left behind, as with Ctrl+C; exit 143 (128 + SIGTERM)."""
    import os
    import signal

    import editor.core.imageio as imageio
    real, calls = imageio.load_image, []

    def killed_at_the_second_photo(path, **kw):
        calls.append(path)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(path, **kw)
    monkeypatch.setattr(imageio, "load_image", killed_at_the_second_photo)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        assert _eval(data, "--masks-out", str(tmp_path / "m")) == 143
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "terminated: nothing was written" in capsys.readouterr().err
    assert len(calls) == 2 and not (tmp_path / "m").exists()


def test_object_masks_without_templates_name_both_ways_out(data, capsys, monkeypatch):
    """The desktop bundle has no shape templates (they are the project's data, not the app's): the default
    --mask-kind both then fails, and the one error line says how to go on."""
    import importlib
    ev = importlib.import_module("editor.evaluation.evaluate")   # (the package's ``evaluate`` is the function)
    monkeypatch.setattr(ev, "default_templates_dir", lambda: None)
    assert main(["evaluate", "--images", str(data / "images"), "--methods", "telea"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--templates DIR" in err and "--mask-kind free-form" in err
    assert main(["evaluate", "--images", str(data / "images"), "--methods", "telea", "--mask-kind",
                 "free-form", "--limit", "1"]) == 0


def test_generator_flags_with_given_masks_are_refused(data, tmp_path, capsys):
    """--mask-kind, --seed and --templates only shape generated masks: with --masks they were silently ignored
    (``--mask-kind object`` scored every given mask). Given explicitly, they are refused; left out, the defaults
    (both kinds, seed 0) still apply to generated masks."""
    out = tmp_path / "m"
    assert _eval(data, "--masks-out", str(out)) == 0
    capsys.readouterr()
    base = ["evaluate", "--images", str(data / "images"), "--size", "96", "--methods", "telea", "--masks", str(out)]
    assert main(base + ["--mask-kind", "object"]) == 2
    assert capsys.readouterr().err == ("error: --mask-kind is for generated masks, and --masks replays the given "
                                       "ones as they are: leave it out\n")
    assert main(base + ["--seed", "0", "--templates", str(data / "templates")]) == 2
    assert capsys.readouterr().err.startswith("error: --seed, --templates are for generated masks")
    assert main(base + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["seed"] is None
    assert main(["evaluate", "--images", str(data / "images"), "--size", "96", "--methods", "telea", "--json",
                 "--templates", str(data / "templates"), "--masks-out", str(tmp_path / "m2")]) == 0
    made = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (made["seed"], made["mask_kind"]) == (0, "both")
    assert {s["mask_kind"] for s in made["scores"]} == {"free-form", "object"}


def test_size_above_a_photo_is_noted_and_a_tiny_size_refused(data, tmp_path, capsys):
    """--size 8000 on smaller photos evaluated them at their own size without a word; --size 2 scored 2x1-px
    images. Now a note names the photos kept at their own size, and a size below 64 px is a usage error."""
    def run(size: str, masks: str) -> int:
        return main(["evaluate", "--images", str(data / "images"), "--size", size, "--methods", "telea",
                     "--hd", "resize", "--mask-kind", "free-form", "--masks-out", str(tmp_path / masks)])
    assert run("128", "a") == 0                                     # p0 (160 px) is reduced, p1 (90 px) kept
    err = capsys.readouterr().err
    assert ("note: 1 of 2 photos is smaller than --size 128 and evaluated at its own size (long side 90 px; "
            "photos are never enlarged)") in err
    assert run("500", "b") == 0
    assert "all 2 photos are smaller than --size 500 and evaluated at their own size (long side 90-160 px" in \
        capsys.readouterr().err
    assert run("90", "c") == 0
    assert "smaller than --size" not in capsys.readouterr().err
    for size in ("63", "2"):
        assert run(size, "d") == 2
        assert capsys.readouterr().err == (f"error: argument --size: expected a whole number of px, 64 or more, "
                                           f"got {size} (see 'inpaint-studio evaluate --help')\n")
    assert not (tmp_path / "d").exists()


def test_a_bad_file_is_found_before_the_run_or_skipped_during_it(data, tmp_path, capsys, monkeypatch):
    """A truncated last photo stopped the run with an error and threw away every score so far. Now what a
    header shows (not an image, a missing given mask) is refused before any photo is inpainted, and a photo or
    mask that fails when its turn comes (truncated data) is skipped with a note and listed in the JSON."""
    imgs = data / "images"
    buf = imgs / "p1.png"
    Image.open(buf).convert("RGB").save(tmp_path / "full.jpg", quality=90)
    whole = (tmp_path / "full.jpg").read_bytes()
    (imgs / "z_truncated.jpg").write_bytes(whole[: len(whole) // 2])
    assert _eval(data, "--masks-out", str(tmp_path / "m"), "--json") == 0
    cap = capsys.readouterr()
    ev = json.loads(cap.out.splitlines()[-1])
    assert sorted({s["image"] for s in ev["scores"]}) == ["p0.png", "p1.png"]            # the others' scores kept
    (entry,) = ev["skipped"]
    assert (entry["image"], entry["mask_kind"], entry["reason"]) == ("z_truncated.jpg", "all", "error")
    assert "cannot decode the photo" in entry["error"]
    assert f"note: skipped z_truncated.jpg [all]: {entry['error']}" in cap.err
    # the replay it suggests needs the unreadable photo moved away (it has no masks): the note says so
    assert ("z_truncated.jpg could not be read and has no masks there: move it out of --images to replay"
            in cap.err)
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    (only_bad / "z_truncated.jpg").write_bytes((imgs / "z_truncated.jpg").read_bytes())
    assert main(["evaluate", "--images", str(only_bad), "--size", "96", "--methods", "telea", "--mask-kind",
                 "free-form"]) == 2
    assert capsys.readouterr().err.startswith(f"error: no image could be evaluated (z_truncated.jpg [all]: "
                                              f"{only_bad / 'z_truncated.jpg'}: cannot decode the photo")
    # a truncated given mask: that case is skipped, the photo's other masks are scored
    (imgs / "z_truncated.jpg").unlink()
    given = tmp_path / "m"
    data_m = (given / "p1.free-form.png").read_bytes()
    (given / "p1.free-form.png").write_bytes(data_m[: len(data_m) // 2])
    assert _eval(data, "--masks", str(given), "--json") == 0
    ev = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [s["image"] for s in ev["scores"]] == ["p0.png"]
    assert [(e["image"], e["mask_kind"], e["reason"]) for e in ev["skipped"]] == [("p1.png", "free-form", "error")]
    # what the headers show is said before anything is inpainted
    from editor.pipeline import InpaintPipeline
    ran = []
    monkeypatch.setattr(InpaintPipeline, "run", lambda self, *a, **k: ran.append(1))
    (given / "p1.free-form.png").unlink()                                              # p1 has no mask now
    assert _eval(data, "--masks", str(given)) == 2
    assert "no mask for p1.png" in capsys.readouterr().err
    (imgs / "z_not_an_image.png").write_text("not a photo")
    assert _eval(data, "--masks-out", str(tmp_path / "m2")) == 2
    assert capsys.readouterr().err == f"error: {imgs / 'z_not_an_image.png'}: not an image file Pillow can read\n"
    assert ran == [] and not (tmp_path / "m2").exists()


def test_without_masks_out_no_temp_folder_is_left(data, tmp_path, capsys, monkeypatch):
    """Every run without --masks-out left an inpaint-eval-masks-XXXX folder in the temp folder for good. The
    masks are now removed at the end, the note says how to keep them, and the JSON has no masks_dir."""
    import tempfile
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert _eval(data, "--json") == 0
    cap = capsys.readouterr()
    assert list(temp.iterdir()) == []
    assert json.loads(cap.out.splitlines()[-1])["masks_dir"] is None
    assert "note: the generated masks were not kept: add --masks-out DIR to save them (replay with --masks DIR)" \
        in cap.err
    assert _eval(data, "--masks-out", str(tmp_path / "kept"), "--json") == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out.splitlines()[-1])["masks_dir"] == str(tmp_path / "kept")
    assert f"masks saved to {tmp_path / 'kept'}" in cap.err and list(temp.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["p0.free-form.png", "p1.free-form.png"]


def test_every_extension_the_reader_takes_is_evaluated(data, tmp_path, capsys):
    """.gif, .jfif and .jpe photos were skipped by --images (and .jfif / .jpe masks by --masks), although
    load_image reads them and the writer makes .jfif and .jpe."""
    from editor.core.formats import EXTENSION_FORMATS
    from editor.evaluation.evaluate import IMAGE_EXTENSIONS, find_images
    assert set(EXTENSION_FORMATS) | {".gif"} <= set(IMAGE_EXTENSIONS)
    folder = tmp_path / "kinds"
    folder.mkdir()
    rgb = Image.open(data / "images" / "p0.png").convert("RGB")
    for name in ("a.gif", "b.jfif", "c.jpe", "d.JPG"):
        rgb.save(folder / name, format="GIF" if name.endswith(".gif") else "JPEG")
    assert [p.name for p in find_images(folder)] == ["a.gif", "b.jfif", "c.jpe", "d.JPG"]
    assert main(["evaluate", "--images", str(folder), "--size", "96", "--methods", "telea", "--mask-kind",
                 "free-form", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert sorted({s["image"] for s in ev["scores"]}) == ["a.gif", "b.jfif", "c.jpe", "d.JPG"]


def _patchmatch_candidates():
    import importlib.util
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "patchmatch_candidates.py"
    spec = importlib.util.spec_from_file_location("patchmatch_candidates", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_patchmatch_candidates_takes_a_data_folder(data, tmp_path, capsys, monkeypatch):
    """The benchmark exited 1 ("shared data not found") from any clone not beside shared/; --data DIR points it
    at the photos and templates, a --data folder without them is one error line, and no data at all is a skip."""
    bench = _patchmatch_candidates()
    monkeypatch.setattr(bench, "variants", lambda: [("telea r3", None, lambda img, hole: cv2.inpaint(
        img, hole.astype(np.uint8), 3, cv2.INPAINT_TELEA))])          # (the libraries are measured elsewhere)
    monkeypatch.setattr(bench, "import_seconds", lambda module: 0.0)
    shared = tmp_path / "shared"
    (shared / "photos").mkdir(parents=True)
    Image.open(data / "images" / "p0.png").convert("RGB").save(shared / "photos" / "a.jpg")
    (data / "templates").rename(shared / "mask-templates")
    assert bench.main(["--data", str(shared), "--size", "64", "--every", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 photos x 2 masks at long side 64" in out and "telea r3" in out
    assert bench.main(["--data", str(tmp_path / "images")]) == 2
    assert capsys.readouterr().err == (f"error: --data {tmp_path / 'images'}: has no photos and no mask-templates "
                                       f"folder\n")
    monkeypatch.setenv("INPAINT_STUDIO_SHARED_DATA", str(tmp_path / "nowhere"))
    assert bench.main([]) == 0
    assert capsys.readouterr().out.startswith(f"skipped: shared data not found at {tmp_path / 'nowhere'}")


def test_invert_mask_without_given_masks_is_refused(data, capsys):
    """--invert-mask only reads given masks as black = hole; with generated masks it was silently ignored."""
    assert _eval(data, "--invert-mask") == 2
    assert capsys.readouterr().err == ("error: --invert-mask is for given masks (--masks DIR): generated masks are "
                                       "already white = hole\n")


def test_a_photo_above_max_pixels_is_refused_before_the_run(data, capsys, monkeypatch):
    """A photo over --max-pixels was found only when its turn came (and skipped); the header check now refuses
    it before any photo is decoded, naming the option that opens it."""
    import editor.core.imageio as io_mod

    def no_decoding(*args, **kwargs):
        raise AssertionError("no photo may be decoded before the refusal")

    real = io_mod.load_image
    monkeypatch.setattr(io_mod, "load_image", no_decoding)
    assert _eval(data, "--max-pixels", "10000") == 2     # p0 is 160x120 = 19,200 px
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "p0.png: 160x120 is 19,200 pixels, above the limit of 10,000" in err
    assert "--max-pixels 19200" in err
    monkeypatch.setattr(io_mod, "load_image", real)
    assert _eval(data, "--max-pixels", "20000") == 0


def test_replaying_masks_at_another_size_says_they_were_scaled(data, tmp_path, capsys):
    """--masks replays are exact only at the size they were made at; at another --size they were scaled to the
    photos without a word, and the scores differed."""
    assert _eval(data, "--masks-out", str(tmp_path / "m")) == 0
    capsys.readouterr()
    assert _eval(data, "--masks", str(tmp_path / "m")) == 0               # the same size: nothing to say
    assert "scaled to it" not in capsys.readouterr().err
    assert main(["evaluate", "--images", str(data / "images"), "--size", "64", "--methods", "telea", "--hd",
                 "resize", "--masks", str(tmp_path / "m")]) == 0
    err = capsys.readouterr().err
    assert "p0.free-form.png" in err and "not at the evaluated size, scaled to it (nearest)" in err
    assert main(["evaluate", "--images", str(data / "images"), "--size", "64", "--methods", "telea", "--hd",
                 "resize", "--masks", str(tmp_path / "m"), "--json"]) == 0
    assert "p0.free-form.png" in json.loads(capsys.readouterr().out.splitlines()[-1])["rescaled_masks"]


def test_a_given_mask_of_another_size_is_decoded_once_and_scaled_as_load_mask_scales_it(tmp_path, monkeypatch):
    from editor.core import imageio as io_mod
    from editor.evaluation.evaluate import _given_mask
    m = np.zeros((60, 80), np.uint8)
    m[10:30, 20:50] = 255
    path = tmp_path / "p.png"
    Image.fromarray(m).save(path)
    calls = []
    real = io_mod._read_hole
    monkeypatch.setattr(io_mod, "_read_hole", lambda *a: calls.append(a) or real(*a))
    rescaled: list[str] = []
    got = _given_mask(path, tmp_path / "p.jpg", (160, 120), False, rescaled=rescaled)
    assert len(calls) == 1 and rescaled == ["p.png"]
    np.testing.assert_array_equal(got, io_mod.load_mask(path, (160, 120), resize=True))
    assert got.shape == (120, 160) and got.sum() == 4 * 20 * 30

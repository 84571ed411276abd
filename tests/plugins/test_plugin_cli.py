"""The `credo` command, run in-process through `main` and once as a subprocess."""

import json
import subprocess
import sys

import arviz as az
import fake_plugins as fp
import numpy as np
import pytest

from credo import plugins
from credo.citations import ATTRS_KEY, CORE_BIBTEX
from credo.cli import main

SCRIPT = '''
import argparse
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--out")
parser.add_argument("--seed", type=int)
args = parser.parse_args()
(Path(args.out) / "seed.txt").write_text(f"script {args.seed}")
'''


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _assert_one_line_error(status, err, expected):
    assert status == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("credo: error: ") and expected in err


def test_version(capsys):
    status, out, _ = run(capsys, "version")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"credo {plugins.core_version()}" == "credo 0.1.0"
    assert [line.split()[0] for line in lines[1:]] == [
        "python", "pytensor", "numba", "numpy", "scipy", "arviz", "pluggy"]


def test_plugins_lists_versions_hooks_and_components(capsys):
    plugins.register(fp.alpha, "alpha")
    plugins.register(fp.beta, "beta")
    status, out, _ = run(capsys, "plugins")
    assert status == 0
    assert out.splitlines()[:4] == [
        "alpha 1.2.3  (module alpha)",
        "    hooks: credo_distributions, credo_citations",
        "    distributions: Laplace",
        "    citations: alpha2020",
    ]
    assert "    examples: beta_seed" in out.splitlines()
    status, out, _ = run(capsys, "plugins", "--json")
    listing = json.loads(out)
    assert listing["credo"] == "0.1.0"
    assert [p["name"] for p in listing["plugins"]] == ["alpha", "beta"]
    assert listing["plugins"][1]["components"]["functions"] == ["line"]
    assert listing["skipped"] == []


def test_plugins_shows_skipped_and_warns_in_one_line(capsys, site):
    site("credo-broken", "0.0.1", {"broken": "broken_plugin"},
         {"broken_plugin.py": "raise ImportError('needs libfoo')\n"})
    status, out, err = run(capsys, "plugins")
    assert status == 0
    assert out.splitlines() == [
        "no credo plugins loaded (entry-point group 'credo')",
        "skipped: broken 0.0.1 (credo-broken): import of 'broken_plugin' failed: "
        "ImportError: needs libfoo",
    ]
    assert err == ("credo: warning: credo plugin 'broken' (credo-broken 0.0.1) skipped: import of "
                   "'broken_plugin' failed: ImportError: needs libfoo\n")


def test_examples_and_datasets(capsys, tmp_path):
    plugins.register(fp.beta, "beta")
    status, out, _ = run(capsys, "examples", "list")
    assert (status, out) == (0, "beta_seed  beta  Writes its seed to seed.txt\n")
    status, out, _ = run(capsys, "datasets", "list")
    assert out == ("beta_points  beta  Five points on y = 1 + 2 t "
                   "[licence: CC0-1.0; source: made up for the tests]\n")
    status, out, _ = run(capsys, "examples", "run", "beta_seed", "--out", str(tmp_path / "o"),
                         "--seed", "17")
    assert status == 0 and (tmp_path / "o" / "seed.txt").read_text() == "17"


def test_script_example_runs_in_a_subprocess(capsys, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(SCRIPT)

    class scripted:  # noqa: N801
        @plugins.hookimpl
        def credo_examples():
            return [plugins.ExampleSpec("scripted", script, summary="Writes its seed")]

    plugins.register(scripted, "scripted")
    status, out, _ = run(capsys, "examples", "run", "scripted", "--out", str(tmp_path / "s"),
                         "--seed", "5")
    assert status == 0
    assert (tmp_path / "s" / "seed.txt").read_text() == "script 5"
    script.write_text("raise SystemExit(3)\n")
    status, _, err = run(capsys, "examples", "run", "scripted", "--out", str(tmp_path / "s"))
    _assert_one_line_error(status, err, f"example 'scripted' ({script}) exited with status 3")


def test_failing_or_unknown_example_is_one_line(capsys, tmp_path):
    def explode(out, seed):
        raise ValueError(f"seed {seed} too small")

    class exploding:  # noqa: N801
        @plugins.hookimpl
        def credo_examples():
            return [plugins.ExampleSpec("boom", explode, summary="Fails")]

    plugins.register(exploding, "exploding")
    status, _, err = run(capsys, "examples", "run", "boom", "--out", str(tmp_path))
    _assert_one_line_error(status, err, "example 'boom' failed: ValueError: seed 0 too small")
    status, _, err = run(capsys, "examples", "run", "nope")
    _assert_one_line_error(status, err, "no example 'nope'; available: boom")


def test_cite_reads_the_attrs_of_a_saved_result(capsys, tmp_path):
    path = tmp_path / "result.nc"
    attrs = {ATTRS_KEY: "hoffman2014,pytensor,kumar2019"}
    az.from_dict(posterior={"mu": np.zeros((2, 5))}, attrs=attrs).to_netcdf(str(path))
    status, out, _ = run(capsys, "cite", str(path))
    assert status == 0
    assert out == "\n\n".join(CORE_BIBTEX[k] for k in ("hoffman2014", "pytensor", "kumar2019")) + "\n"


def test_cite_errors(capsys, tmp_path):
    status, _, err = run(capsys, "cite", str(tmp_path / "missing.nc"))
    _assert_one_line_error(status, err, "missing.nc: no such file")
    path = tmp_path / "plain.nc"
    az.from_dict(posterior={"mu": np.zeros((2, 5))}).to_netcdf(str(path))
    status, _, err = run(capsys, "cite", str(path))
    _assert_one_line_error(status, err, "no 'credo_citations' attribute")
    garbage = tmp_path / "garbage.nc"
    garbage.write_text("not netcdf")
    status, _, err = run(capsys, "cite", str(garbage))
    _assert_one_line_error(status, err, "garbage.nc: not a readable netCDF file")


def test_plugin_new_and_its_errors(capsys, tmp_path):
    status, out, _ = run(capsys, "plugin", "new", "credo-tides", "--dir", str(tmp_path))
    assert status == 0 and out.startswith(f"created {tmp_path / 'credo-tides'}\n")
    assert (tmp_path / "credo-tides" / "src" / "credo_tides" / "plugin.py").is_file()
    status, _, err = run(capsys, "plugin", "new", "tides", "--dir", str(tmp_path))
    _assert_one_line_error(status, err, "credo-tides exists and is not empty")
    status, _, err = run(capsys, "plugin", "new", "Tides!", "--dir", str(tmp_path))
    _assert_one_line_error(status, err, "plugin name 'Tides!' must be lowercase letters")


def test_bad_usage_is_one_line_with_status_2(capsys):
    status, out, err = run(capsys, "examples", "walk")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("credo: error: argument ACTION: invalid choice")
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "plugins" in out


def test_command_in_a_subprocess_and_import_is_lazy(tmp_path):
    # one interpreter (importing credo costs seconds): `import credo` must not load plugins, then
    # `python -m credo.cli cite none.nc` must fail with one line and status 1
    code = ("import runpy, sys, credo; print('credo.plugins' not in sys.modules); "
            "sys.argv = ['credo', 'cite', 'none.nc']; runpy.run_module('credo.cli', "
            "run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, check=False)
    assert proc.stdout == "True\n"
    assert proc.stderr == "credo: error: none.nc: no such file\n"
    assert proc.returncode == 1


@pytest.mark.parametrize("argv", [["datasets", "list"], ["examples", "list"]])
def test_empty_listings(capsys, argv):
    status, out, _ = run(capsys, *argv)
    assert status == 0 and out.startswith("no ")

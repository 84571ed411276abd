"""The ``credo`` command: plugins, examples, data sets, citations, plugin template, version.

Every failure prints one line ``credo: error: ...`` to stderr and exits non-zero; there are no
tracebacks. Plugin warnings print as ``credo: warning: ...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import platform
import subprocess
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


class CLIError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        self.exit(2, f"credo: error: {message} (see `{self.prog} --help`)\n")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"credo: warning: {message}", file=sys.stderr)


def _cmd_version(args: argparse.Namespace) -> None:
    from credo.plugins import core_version

    print(f"credo {core_version()}")
    print(f"python {platform.python_version()}")
    for dist in ("pytensor", "numba", "numpy", "scipy", "arviz", "pluggy"):
        try:
            print(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            print(f"{dist} not installed")


def _cmd_plugins(args: argparse.Namespace) -> None:
    from credo.plugins import core_version, registry

    reg = registry()
    if args.json:
        print(json.dumps({
            "credo": core_version(),
            "plugins": [dataclasses.asdict(p) for p in reg.plugins.values()],
            "skipped": [dataclasses.asdict(s) for s in reg.skipped],
        }, indent=2))
        return
    if not reg.plugins:
        print("no credo plugins loaded (entry-point group 'credo')")
    for info in reg.plugins.values():
        origin = f"{info.dist}, " if info.dist else ""
        print(f"{info.name} {info.version}  ({origin}module {info.module})")
        print(f"    hooks: {', '.join(info.hooks) or 'none'}")
        for kind, names in info.components.items():
            print(f"    {kind}: {', '.join(names) or 'none'}")
    for skip in reg.skipped:
        origin = f" ({skip.dist})" if skip.dist else ""
        print(f"skipped: {skip.name} {skip.version}{origin}: {skip.reason}")


def _table(rows: list[tuple[str, ...]], empty: str) -> None:
    if not rows:
        print(empty)
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths)]
        print("  ".join([*cells, row[-1]]))


def _cmd_examples_list(args: argparse.Namespace) -> None:
    from credo.plugins import registry

    rows = [(e.name, e.plugin, e.summary) for e in registry().examples.values()]
    _table(sorted(rows), "no examples: no loaded plugin provides any (see `credo plugins`)")


def _cmd_examples_run(args: argparse.Namespace) -> None:
    from credo.plugins import registry

    examples = registry().examples
    if args.name not in examples:
        known = ", ".join(sorted(examples)) or "none"
        raise CLIError(f"no example {args.name!r}; available: {known}")
    spec = examples[args.name]
    out = Path(args.out if args.out is not None else Path("results") / spec.name)
    out.mkdir(parents=True, exist_ok=True)
    if callable(spec.target):
        try:
            spec.target(out=out, seed=args.seed)
        except Exception as err:
            raise CLIError(f"example {spec.name!r} failed: {type(err).__name__}: {err}") from err
    else:
        script = Path(spec.target)
        if not script.is_file():
            raise CLIError(f"example {spec.name!r}: script {script} does not exist")
        cmd = [sys.executable, str(script), "--out", str(out), "--seed", str(args.seed)]
        status = subprocess.run(cmd, check=False).returncode
        if status != 0:
            raise CLIError(f"example {spec.name!r} ({script}) exited with status {status}")
    print(f"example {spec.name!r} done; outputs in {out}")


def _cmd_datasets_list(args: argparse.Namespace) -> None:
    from credo.plugins import registry

    rows = [(d.name, d.plugin, f"{d.description} [licence: {d.license}; source: {d.source}]")
            for d in registry().datasets.values()]
    _table(sorted(rows), "no data sets: no loaded plugin provides any (see `credo plugins`)")


def _read_attrs(path: Path) -> dict:
    """Root-group attributes of a netCDF file written by ``InferenceData.to_netcdf``."""
    import xarray as xr

    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    try:
        with xr.open_dataset(path) as root:
            return dict(root.attrs)
    except (OSError, ValueError) as err:
        raise CLIError(f"{path}: not a readable netCDF file ({type(err).__name__})") from err


def _cmd_cite(args: argparse.Namespace) -> None:
    from credo.citations import citations

    path = Path(args.result)
    try:
        text = citations(_read_attrs(path))
    except ValueError as err:
        raise CLIError(f"{path}: {err}") from err
    sys.stdout.write(text)


def _cmd_plugin_new(args: argparse.Namespace) -> None:
    from credo.plugins.template import new_plugin

    root = new_plugin(args.name, Path(args.dir))
    print(f"created {root}")
    print(f"next: pip install -e {root} && pytest {root / 'tests'}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="credo", description="credo: Bayesian modelling with plugins.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("version", help="credo and dependency versions")
    p.set_defaults(func=_cmd_version)

    p = sub.add_parser("plugins", help="list installed plugins, their hooks and components")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_plugins)

    p = sub.add_parser("examples", help="list or run plugin examples")
    ex = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ex.add_parser("list", help="list examples").set_defaults(func=_cmd_examples_list)
    run = ex.add_parser("run", help="run one example")
    run.add_argument("name", help="example name (see `credo examples list`)")
    run.add_argument("--out", help="output directory (default results/NAME)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.set_defaults(func=_cmd_examples_run)

    p = sub.add_parser("datasets", help="list plugin data sets")
    ds = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ds.add_parser("list", help="list data sets").set_defaults(func=_cmd_datasets_list)

    p = sub.add_parser("cite", help="BibTeX for a result saved with InferenceData.to_netcdf")
    p.add_argument("result", help="RESULT.nc written by a credo sampler")
    p.set_defaults(func=_cmd_cite)

    p = sub.add_parser("plugin", help="plugin-author tools")
    pl = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = pl.add_parser("new", help="write a ready-to-install plugin skeleton")
    new.add_argument("name", help="plugin name, e.g. exoplanet (gives credo-exoplanet)")
    new.add_argument("--dir", default=".", help="parent directory (default: current)")
    new.set_defaults(func=_cmd_plugin_new)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``credo`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 on error, 2 on bad usage.
    """
    from credo.plugins import PluginError

    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            args.func(args)
        except KeyboardInterrupt:
            print("credo: interrupted", file=sys.stderr)
            return 130
        except Exception as err:  # the command promises one line, never a traceback
            message = str(err) if isinstance(err, CLIError | PluginError) else (
                f"{type(err).__name__}: {err}")
            print(f"credo: error: {' '.join(message.split())}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Text rendering of a model graph (``model.summary()``, ``cr.model_to_graphviz``)."""

from __future__ import annotations

from pytensor.graph.traversal import ancestors

__all__ = ["model_summary", "model_to_graphviz", "parents"]


def parents(model, var) -> list[str]:
    """Names of the model variables that ``var``'s graph depends on directly."""
    named = {v: k for k, v in model.named_vars.items()}
    graph = [var.owner.inputs] if var.owner is not None else []
    found = []
    for inputs in graph:
        for node_var in ancestors(inputs, blockers=list(named)):
            name = named.get(node_var)
            if name is not None and node_var is not var and name not in found:
                found.append(name)
    return found


def _describe(model, name) -> tuple[str, str]:
    var = model.named_vars[name]
    info = getattr(var.tag, "credo_dist", None)
    kind = "Data" if name in model.data_vars else "Deterministic"
    if any(o.name == name for o in model.observed_rvs):
        kind = f"{info.cls.__name__} (observed)"
    elif any(f.name == name for f in model.free_rvs):
        kind = info.cls.__name__ if info is not None else "imputed values"
    elif any(p.name == name for p in model.potentials):
        kind = "Potential"
    dims = model.named_vars_to_dims.get(name)
    shape = f"dims={dims}" if dims else ""
    return kind, shape


def model_summary(model) -> str:
    """One line per variable: ``name ~ Distribution [dims]  <- parents``."""
    lines = [f"Model {model.name!r}" if model.name else "Model"]
    for name, var in model.named_vars.items():
        kind, shape = _describe(model, name)
        deps = parents(model, var) if name not in model.data_vars else []
        arrow = f"  <- {', '.join(deps)}" if deps else ""
        lines.append(f"  {name} ~ {kind} {shape}".rstrip() + arrow)
    return "\n".join(lines)


def model_to_graphviz(model=None) -> str:
    """The model graph in Graphviz DOT language (render with ``dot -Tpng``)."""
    from credo.model.core import modelcontext

    model = modelcontext(model)
    lines = ["digraph model {"]
    for name in model.named_vars:
        kind, shape = _describe(model, name)
        style = "filled" if "observed" in kind or kind == "Data" else ""
        shape_attr = "box" if kind in ("Deterministic", "Data", "Potential") else "ellipse"
        label = f"{name}\\n{kind} {shape}".strip()
        lines.append(f'  "{name}" [label="{label}" shape={shape_attr} style="{style}"];')
    for name, var in model.named_vars.items():
        if name in model.data_vars:
            continue
        for p in parents(model, var):
            lines.append(f'  "{p}" -> "{name}";')
    lines.append("}")
    return "\n".join(lines)

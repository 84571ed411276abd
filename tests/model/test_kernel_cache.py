"""credo's kernels are cached with a stamp of their whole subpackage (`credo.kernel_cache`)."""

import numba
from numba.core import caching

import credo.kernel_cache as kc
from credo.sampling import nuts


def test_credo_kernels_use_the_subpackage_stamp_and_others_do_not(tmp_path):
    kernel = next(v for v in vars(nuts).values() if isinstance(v, numba.core.dispatcher.Dispatcher))
    locator = kernel._cache._impl.locator
    assert isinstance(locator, kc._SubpackageStamp)
    assert locator.get_source_stamp() == kc.subpackage_stamp(kc.CREDO_ROOT / "sampling")

    outside = tmp_path / "user_module.py"
    outside.write_text("def f(x):\n    return x\n")
    assert kc._subpackage_dir(str(outside)) is None
    assert kc._InTree.from_function(None, str(outside)) is None
    classes = caching.CacheImpl._locator_classes
    assert all(classes.index(c) < classes.index(caching.InTreeCacheLocator) for c in kc._LOCATORS)
    kc.install()  # idempotent
    assert all(classes.count(c) == 1 for c in kc._LOCATORS)


def test_stamp_changes_when_any_module_of_the_subpackage_changes(tmp_path):
    pkg = tmp_path / "sampling"
    (pkg / "adapt").mkdir(parents=True)
    (pkg / "chain.py").write_text("x = 1\n")
    callee = pkg / "adapt" / "mass_matrix.py"
    callee.write_text("y = 1\n")
    before = kc.subpackage_stamp.__wrapped__(pkg)
    assert kc.subpackage_stamp.__wrapped__(pkg) == before
    callee.write_text("y = 22\n")  # a callee in another module: the caller's cache must go stale
    assert kc.subpackage_stamp.__wrapped__(pkg) != before

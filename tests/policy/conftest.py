import pytest

pytest.importorskip("cel_expr_python", reason="custom rules and policies need the cel extra")


@pytest.fixture(autouse=True)
def _forget_custom_rules():
    """Rules registered by a test never leak into another test's registry."""
    yield
    from kubeward.checks.custom import clear_rules
    clear_rules()

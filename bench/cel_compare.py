"""Compare the three CEL runtimes on PyPI on what Kubernetes relies on.

Not part of the test suite: install the candidates in a scratch virtualenv,

    pip install cel-expr-python common-expression-language cel-python
    python bench/cel_compare.py cel-expr-python
    python bench/cel_compare.py common-expression-language
    python bench/cel_compare.py cel-python

Each run prints the cases that fail (compile error, wrong value, or a value
where an error is expected), the score, and compile and evaluation times of
three typical policy expressions on a Deployment (the data converted on
every call, as each library's simplest API does). Results: docs/policies.md.
"""
import time
CASES = [
 # (expr, vars, expected)  expected: value or "ERR"
 ("object.spec.replicas <= 5", {"object": {"spec": {"replicas": 3}}}, True),
 ("has(object.spec.replicas)", {"object": {"spec": {}}}, False),
 ("object.spec.containers.all(c, c.image.startsWith('reg.io/'))", {"object": {"spec": {"containers": [{"image": "reg.io/a"}, {"image": "x/b"}]}}}, False),
 ("object.spec.containers.exists(c, c.name == 'b')", {"object": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}, True),
 ("object.spec.containers.exists_one(c, c.name == 'b')", {"object": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}, True),
 ("object.spec.containers.map(c, c.name)", {"object": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}, ["a", "b"]),
 ("object.spec.containers.filter(c, c.name == 'a').size()", {"object": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}, 1),
 ("object.?spec.?replicas.orValue(1)", {"object": {"spec": {}}}, 1),
 ("object.?metadata.?labels[?'team'].hasValue()", {"object": {"metadata": {"labels": {"team": "x"}}}}, True),
 ("optional.of(1).value()", {}, 1),
 ("optional.none().orValue(2)", {}, 2),
 ("'a,b,c'.split(',')", {}, ["a", "b", "c"]),
 ("'ABC'.lowerAscii()", {}, "abc"),
 ("'hello'.indexOf('l')", {}, 2),
 ("'a-b'.replace('-', '_')", {}, "a_b"),
 ("['a','b'].join('-')", {}, "a-b"),
 ("' x '.trim()", {}, "x"),
 ("'hello'.substring(1, 3)", {}, "el"),
 ("'%s=%d'.format(['a', 1])", {}, "a=1"),
 ("'abc'.charAt(1)", {}, "b"),
 ("'abc'.matches('^a.c$')", {}, True),
 ("1/0 == 1 || true", {}, True),
 ("true || 1/0 == 1", {}, True),
 ("1/0 == 1 && false", {}, False),
 ("1/0 == 1", {}, "ERR"),
 ("object.spec.missing == 1", {"object": {"spec": {}}}, "ERR"),
 ("[1,2][5] == 1", {}, "ERR"),
 ("9223372036854775807 + 1 > 0", {}, "ERR"),
 ("size(object.metadata.name) < 10", {"object": {"metadata": {"name": "abc"}}}, True),
 ("object.metadata.labels.all(k, k.startsWith('a'))", {"object": {"metadata": {"labels": {"ab": "1", "ac": "2"}}}}, True),
 ("'team' in object.metadata.labels", {"object": {"metadata": {"labels": {"team": "x"}}}}, True),
 ("int('42') + 1", {}, 43),
 ("string(1.5)", {}, "1.5"),
 ("double(object.x) > 1.0", {"object": {"x": 2}}, True),
 ("object.x == 2.0", {"object": {"x": 2}}, True),
 ("type(object.x) == int", {"object": {"x": 2}}, True),
 ("duration('1h') > duration('30m')", {}, True),
 ("timestamp('2024-01-01T00:00:00Z') < timestamp('2025-01-01T00:00:00Z')", {}, True),
 ("[1,2,3].sort()", {}, "ERR-or-ext"),
 ("[1,2] + [3]", {}, [1, 2, 3]),
 ("{'a': 1}.a", {}, 1),
 ("object.spec.?x.orValue('d')", {"object": {"spec": {}}}, "d"),
 ("cel.bind(x, 2, x * x)", {}, 4),
 ("math.greatest(1, 5, 3)", {}, 5),
 ("sets.contains([1,2,3], [1,2])", {}, True),
 ("'aBc'.upperAscii()", {}, "ABC"),
 ("b'abc'.size()", {}, 3),
 ("dyn(1) == 1u", {}, True),  # numeric equality across types (current spec)
 ("object.spec.replicas > 2", {"object": {"spec": {"replicas": None}}}, "ERR"),
 ("object.metadata.name.size() <= 63", {"object": {"metadata": {"name": "abc"}}}, True),
 ("'x'.lastIndexOf('x')", {}, 0),
 ("['b','a'].exists(x, x == 'a') ? 'yes' : 'no'", {}, "yes"),
 ("[1,2,3].all(x, x > 0 && x < 3)", {}, False),
 ("[0, 1].exists(x, 1 / x == 1)", {}, True),
]

def lib_celexpr():
    from cel_expr_python import cel
    from cel_expr_python.ext import ext_strings, ext_optional, ext_math, ext_bindings
    exts = [ext_strings.ExtStrings(), ext_optional.ExtOptional(), ext_math.ExtMath(), ext_bindings.ExtBindings()]
    env = cel.NewEnv(variables={"object": cel.Type.DYN}, extensions=exts)
    def compile_(e):
        return env.compile(e)
    def run(p, v):
        r = p.eval(data=v)
        if r.type() == cel.Type.ERROR:
            raise RuntimeError(str(r.value()))
        return r.plain_value()
    return compile_, run

def lib_rust():
    import cel
    def compile_(e):
        return cel.compile(e)
    def run(p, v):
        return p.execute(dict(v))
    return compile_, run

def lib_celpy():
    import celpy
    env = celpy.Environment()
    def compile_(e):
        return env.program(env.compile(e))
    def run(p, v):
        r = p.evaluate({k: celpy.json_to_cel(x) for k, x in v.items()})
        if isinstance(r, celpy.CELEvalError) or isinstance(r, Exception):
            raise RuntimeError(str(r))
        return r
    return compile_, run

LIBS = {"cel-expr-python": lib_celexpr, "common-expression-language": lib_rust, "cel-python": lib_celpy}

def norm(x):
    try:
        if isinstance(x, bool):
            return bool(x)
        if isinstance(x, (list, tuple)):
            return [norm(i) for i in x]
        if type(x).__name__ in ("BoolType",):
            return bool(x)
        if isinstance(x, int):
            return int(x)
        if isinstance(x, str):
            return str(x)
    except Exception:
        pass
    return x

def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("library", choices=sorted(LIBS), help="the CEL runtime to measure")
    name = ap.parse_args().library
    compile_, run = LIBS[name]()
    ok = 0
    results = []
    for e, v, exp in CASES:
        try:
            p = compile_(e)
        except Exception as ex:
            got = ("compile-error", str(ex)[:80])
        else:
            try:
                got = ("value", norm(run(p, v)))
            except Exception as ex:
                got = ("eval-error", str(ex)[:80])
        if isinstance(exp, str) and exp.startswith("ERR"):
            passed = got[0] == "eval-error" or (exp == "ERR-or-false" and got == ("value", False)) or (exp == "ERR-or-ext" and got[0] != "compile-error")
        else:
            passed = got == ("value", exp) or (got[0] == "value" and got[1] == exp and type(got[1]) is type(exp))
        ok += passed
        results.append((passed, e, got))
    for p, e, g in results:
        if not p:
            print("FAIL", e, "->", g)
    print(f"{name}: {ok}/{len(CASES)}")
    # speed
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web", "team": "a"}},
           "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "c%d" % i, "image": "reg.io/app:%d" % i} for i in range(3)]}}}}
    exprs = ["object.spec.replicas <= 5",
             "object.spec.template.spec.containers.all(c, c.image.startsWith('reg.io/'))",
             "has(object.metadata.labels) && 'team' in object.metadata.labels"]
    for e in exprs:
        t0 = time.perf_counter()
        for _ in range(200):
            compile_(e)
        tc = (time.perf_counter() - t0) / 200
        p = compile_(e)
        n = 20000
        t0 = time.perf_counter()
        for _ in range(n):
            run(p, {"object": obj})
        te = (time.perf_counter() - t0) / n
        print(f"  {e[:60]:60s} compile {tc*1e6:8.1f} us  eval {te*1e6:8.2f} us")

if __name__ == "__main__":
    main()

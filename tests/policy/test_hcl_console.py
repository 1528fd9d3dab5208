"""The HCL evaluator against Terraform itself: every expression here is also given to `terraform console`.

One console process evaluates the whole list (as locals of a scratch root, so heredocs work too);
each expression's `jsonencode()` must be the very same string from both. Nothing here needs a
provider or the network.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from policy.hcl import evaluate_expression

pytestmark = pytest.mark.terraform

EXPRESSIONS = [
    # literals, operators, conditionals
    "1", "-1.5", "1e20", "1.0", "2/2", "5 / 2", "-5 / 2", "7 / -2", "10 - 2 - 3", "2 + 3 * 4", "(2 + 3) * 4",
    "-7 % 3", "7 % -3", "5.5 % 2", "-5.5 % 2", "2 - -1", "0.1 + 0.2", "0.1 * 3", "100000000000000000000 + 1",
    '"5" + 1', '"5" * "2"', "1 < 2.5", "2 * 3 > 5 == true", "!true", "!false && true", "true && false || true",
    "false && (1/0 == 1)", '1 == "1"', "1 == 1.0", '"x" == "x"', "[1, 2] == [1, 2]", "{a = 1} == {a = 1}",
    "null == null", "null == false", "[] == []", '[1] == ["1"]', "-(3)",
    'true ? 1 : "a"', "false ? null : 1", 'true ? "x" : "y"', "1 > 2 ? [1] : [2, 3]",
    # strings and templates
    '"a\\n$${x} %%{y}"', '"${1.0}"', '"${"a"}${1}${true}"', '"a%{ if false }b%{ else }c%{ endif }"',
    '"%{ for x in [1, 2] }${x},%{ endfor }"', '"%{ for k, v in {x = 1, y = 2} }${k}=${v};%{ endfor }"',
    '"%{ for i, v in ["a", "b"] }${i}${v}%{ endfor }"', '"a %{~ if true ~} b %{~ endif ~} c"',
    '"tab\\there \\"quoted\\" \\\\ back \\u00e9"', 'upper("abc${1 + 1}")',
    # collections, traversal, splat, for
    '[1, "a", true]', '{"a b" = 1, (join("", ["c", "d"])) = 2}', '{a = {b = [10, 20]}}.a.b.1',
    '{a = {b = [10, 20]}}["a"]["b"][0]', '["x", "y"][1]', "[1, 2, 3][*]", '"x"[*]', "[{a = 1}, {a = 2}][*].a",
    "[{a = 1}, {a = 2}].*.a", '[for s in ["a", "b"] : upper(s) if s != "a"]', '[for k, v in {b = 1, a = 2} : k]',
    '{for i, x in ["a", "b"] : x => i}', "{for k, v in {a = 1, b = 2, c = 1} : v => k...}",
    '[for x in toset(["b", "a"]) : x]', '[for i, v in ["a", "b"] : "${i}${v}"]', "length([for x in [] : x])",
    # numbers
    "abs(-2.5)", "abs(-0)", "ceil(1.2)", "ceil(-0.5)", "floor(-1.2)", "floor(3)", "max(1, 5, 3)", "min(3, -1.5)",
    "max(-1)", "pow(2, 70)", "pow(2, -1)", "pow(9, 0.5)", "log(8, 2)", "log(100, 10)", "signum(-3)", "signum(0)",
    'parseint("ff", 16)', 'parseint("-101", 2)', 'parseint("zz", 36)', 'parseint("7", 10)',
    # strings
    'chomp("a\\n\\n")', 'chomp("a\\r\\n")', 'format("%d", 3)', 'format("%s", 1.5)', 'format("%s", true)',
    'format("%[2]s %[1]s", "a", "b")', 'format("%g", 0.000012345)', 'format("%g|%g", 1234.5678, 1e6)',
    'format("%.3g|%8.3f|%+d|% d", 1234.5678, 3.14159, 5, 5)', 'format("%q", "a\\tb")',
    'format("%b|%o|%X|%e", 5, 8, 255, 0)',
    'format("%5.2f|%-4s|%04d|%x|%t|%%|%e", 3.14159, "ab", 7, 255, true, 12345.678)',
    'format("%#v", {a = 1})', 'format("%v|%v", "s", 1.5)', 'formatlist("%s-%d", ["a", "b"], 1)',
    'formatlist("%s=%s", ["a", "b"], ["1", "2"])', 'indent(2, "a\\nb\\n")', 'indent(4, "")', 'join("-", ["a", "b"])',
    'join(",", [])', 'join("-", ["a"], ["b", "c"])', 'lower("ÀB")', 'upper("ß")', 'upper("abc")',
    'title("hello world-foo")', 'title("3rd they\'re o\'neil ünïcode")', 'replace("hello", "/l+/", "L")',
    'replace("a.b.c", ".", "-")', 'replace("aaa", "/a/", "$0$0")', 'replace("abc", "/(?P<x>b)/", "[$x]")',
    'replace("abc", "/b/", "$$")', 'split(",", "")', 'split("/", "a/b//c")', 'strrev("héllo")',
    'substr("hello", -3, -1)', 'substr("héllo", 1, 2)', 'substr("abc", 1, -1)', 'substr("abc", 5, 1)',
    'trim("?!hello?!", "!?")', 'trim("  x  ", " ")', 'trimprefix("abc", "ab")', 'trimsuffix("abc", "bc")',
    'trimspace("\\t\\n x y \\r\\n")', 'startswith("abc", "ab")', 'endswith("abc", "bc")', 'strcontains("abc", "b")',
    'startswith("", "")', 'regex("(?P<a>[a-z]+)-(?P<b>[0-9]+)", "abc-123")', 'regex("([a-z]+)-([0-9]+)", "abc-123")',
    'regex("[0-9]+", "abc123def456")', 'regexall("[0-9]", "a1b2")', 'regexall("(a)(b)?", "ab a")',
    'length("héllo")',
    # collection functions
    "alltrue([])", 'alltrue([true, "true"])', "anytrue([])", "anytrue([false, true])",
    "chunklist([1, 2, 3, 4, 5], 2)", "chunklist([], 2)", 'coalesce("", "x")', "coalesce(null, 1)",
    'coalesce("", null, "z")', 'coalescelist([], ["a"])', 'compact(["a", "", null, "b"])', "compact([])",
    "concat([1], [2, 3])", "contains([1, 2], 2)", 'contains(["a"], "b")', 'distinct([1, 2, 1, "1"])',
    'distinct(["b", "a", "b"])', 'element(["a", "b"], 5)', 'flatten([[1, [2]], 3, []])',
    "flatten([[[1]], [[2, [3]]]])", 'index(["a", "b"], "b")', 'index(["a", "b", "a"], "a")',
    "keys({b = 1, a = 2})", "keys({})", "length({a = 1})", "length([null])", 'lookup({a = 1}, "b", "d")',
    'lookup({a = "x"}, "a")', 'matchkeys(["a", "b", "c"], ["x", "y", "z"], ["y"])',
    'matchkeys([1, 2], ["a", "b"], ["b"])', "merge({a = 1}, {a = 2, b = null})",
    "merge({}, {a = {b = 1}}, {a = {c = 2}})",
    "one([])", 'one(["x"])', "range(3)", "range(0)", "range(-3)", "range(5, 0, -2)", "range(1, 2, 0.25)",
    "reverse([1, 2])", 'setintersection(["a", "b"], ["b"])', 'setproduct(["a", "b"], [1, 2])',
    'setproduct([], [1])', 'setsubtract(["a", "b"], ["b"])', 'setunion(["a"], ["b", "a"])', "setunion([1], [2])",
    "slice([1, 2, 3, 4], 1, 3)", 'slice(["a"], 1, 1)', 'sort(["b", "a", "10", "9"])', "sort([])", "sum([1, 2.5])",
    "sum([0.1, 0.2])", 'transpose({a = ["1", "2"], b = ["2", "3"]})', "transpose({})", "values({b = 2, a = 1})",
    'zipmap(["a", "b"], [1, 2])', "zipmap([], [])",
    # encoding
    'base64encode("héllo")', 'base64encode("")', 'base64decode("aMOpbGxv")',
    'jsondecode("{\\"a\\":[1,2.5,null,true]}")',
    'jsondecode("1.0")', 'jsondecode("[]")', 'jsonencode({b = 1, a = "<&>"})', 'jsonencode("é\\u2028\\t/")',
    'yamldecode("a: [1, 2]\\nb: yes\\nc: \'1\'")', 'yamldecode("on: off")', 'yamldecode("x: 2001-12-14")',
    'yamldecode("[1e3, 0x10, 010, 0o10, 1_000, +1, .5, Yes, y, NULL, 1.0, 12:30, ~, 1.5e-3]")',
    'yamldecode("1: x\\ntrue: y\\nd: {e: [1, {f: 2}]}")', 'yamldecode("a: |\\n  x\\n  y\\n")',
    'yamlencode({a = [1, "x", true, null], b = {c = "d"}})', 'yamlencode([{a = 1}])', 'yamlencode("plain")',
    "yamlencode(1)",
    'yamlencode({a = "x\\ny", b = [], c = {}, d = [[1, 2], [{e = 1, f = "g"}]], g = "123", h = "true"})',
    'urlencode("a b&c=d/é")', 'urlencode("~-_.!*\'()")',
    # conversion
    'tobool("true")', 'tobool("false")', 'tonumber("1e3")', 'tonumber("1.50")', 'tomap({a = 1, b = "x"})',
    'tolist(["a", 1, true])', 'tolist(toset(["z", "a"]))', 'toset(["b", "a", "c"])', "toset([3, 1, 2])",
    "toset([true, false])", "tostring(1e20)", "tostring(1.5e3)", "tostring(0.5)", "tostring(-1.25e-3)",
    "tostring(0.000001)", 'can(regex("^[a-z]+$", "abc1"))', 'try(tonumber("x"), "fallback")', "try(null.a, 2)",
    # network and hashes
    'cidrsubnet("10.0.0.0/16", 8, 2)', 'cidrsubnet("fd00::/56", 8, 3)', 'cidrsubnets("10.0.0.0/16", 4, 8, 8)',
    'cidrsubnets("fd00::/56", 8, 4)', 'cidrsubnets("10.1.0.0/16", 8, 4, 8)', 'cidrhost("10.0.0.0/16", -1)',
    'cidrhost("10.0.0.0/24", 0)', 'cidrhost("fd00::/64", 5)', 'cidrnetmask("10.0.0.0/12")',
    'md5("x")', 'sha1("x")', 'sha256("x")', 'sha512("x")', 'base64sha256("x")', 'uuidv5("dns", "example.com")',
]

HEREDOCS = [
    "<<-EOT\n    a\n      b\n\n    c\n  EOT\n",
    "<<-EOT\n    a\n\tb\n  EOT\n",
    "<<EOT\n  a $${x} %%{y}\n   b\nEOT\n",
    "<<-EOT\n  EOT\n",
    "<<EOF\n${jsonencode({\n  a = 1\n})}\nEOF\n",
    "<<EOT\nx=${1 + 1} %{if true}yes%{endif}\nEOT\n",
    "<<-EOT\n    a\n    %{~ if true ~}\n    yes\n    %{~ endif ~}\n    z\n  EOT\n",
    "<<-EOT\n    a\n      \n    b\n  EOT\n",
    "<<-EOT\n    ${\"x\"}\n      y\n  EOT\n",
    "<<-EOT\n    %{ for i in [1, 2] ~}\n    - ${i}\n    %{ endfor ~}\n  EOT\n",
]


def _console(toolchain, tmp_path, exprs: list[str]) -> list[str]:
    lines = ["locals {"]
    lines += [f"  r{i} = jsonencode(\n{expr}\n)" for i, expr in enumerate(exprs)]
    lines.append("}")
    (tmp_path / "main.tf").write_text("\n".join(lines) + "\n")
    query = "jsonencode([" + ", ".join(f"local.r{i}" for i in range(len(exprs))) + "])\n"
    proc = subprocess.run(
        [toolchain.terraform, "console", "-no-color"], input=query, cwd=tmp_path, env=toolchain.env(),
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = proc.stdout.strip()
    # The console prints the result as an HCL string literal.
    return json.loads(json.loads(out.replace("$${", "${").replace("%%{", "%{")))


@pytest.fixture(scope="module")
def terraform_results(toolchain, tmp_path_factory) -> dict[str, str]:
    exprs = EXPRESSIONS + HEREDOCS
    return dict(zip(exprs, _console(toolchain, tmp_path_factory.mktemp("console"), exprs), strict=True))


@pytest.mark.parametrize("expr", EXPRESSIONS + HEREDOCS)
def test_same_as_terraform_console(terraform_results, expr):
    ours = evaluate_expression(f"jsonencode(\n{expr}\n)")
    assert ours == terraform_results[expr], f"{expr!r}: ours {ours!r}, terraform {terraform_results[expr]!r}"

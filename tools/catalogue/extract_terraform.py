#!/usr/bin/env python3
"""Extract SMC's element model (as facts) from Forcepoint's Terraform provider.

Reads the generated Go code of github.com/Forcepoint-NSP/terraform-provider-fp-ngfw-smc
(internal/schema/{resource,schema,model}_*.go, docs/resources/*.md) straight
out of a bare git mirror and writes a JSON description of element types,
nested models and their attributes (names, JSON types, flags, enum values,
defaults, ranges, reference targets).  No description text is copied into the
output; descriptions are only *parsed* for facts.

Standard library only.  Usage:
    extract_tf.py [--repo PATH] [--rev REV] [--out FILE] [--debug FILE]
"""
import argparse
import collections
import json
import re
import subprocess
import sys

DEFAULT_REPO = "/work/.mirror/Forcepoint-NSP+terraform-provider-fp-ngfw-smc/repo"
DEFAULT_OUT = "/work/scratch/tf-schema.json"
SOURCE_REPO = "Forcepoint-NSP/terraform-provider-fp-ngfw-smc"
SMC_VERSION = "7.4.1"

# --------------------------------------------------------------------------
# git access
# --------------------------------------------------------------------------


def git(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), check=True,
                          capture_output=True).stdout.decode("utf-8")


def read_blobs(repo, rev, paths):
    """Read many files at once with `git cat-file --batch` (same content as
    `git show REV:PATH`, just one process instead of ~1600)."""
    inp = "".join("%s:%s\n" % (rev, p) for p in paths).encode()
    out = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input=inp,
                         check=True, capture_output=True).stdout
    res, pos = {}, 0
    for p in paths:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].decode().split()
        if header[-1] == "missing":
            raise KeyError(p)
        size = int(header[2])
        res[p] = out[nl + 1:nl + 1 + size].decode("utf-8")
        pos = nl + 1 + size + 1
    return res


# --------------------------------------------------------------------------
# tiny Go literal parser (enough for what tfsmcgen emits)
# --------------------------------------------------------------------------


def go_unquote(lit):
    if lit.startswith("`"):
        return lit[1:-1]
    try:
        return json.loads(lit)
    except ValueError:
        body = lit[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def skip_string(text, i):
    q = text[i]
    j = i + 1
    if q == "`":
        return text.index("`", j) + 1
    while True:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == q:
            return j + 1
        j += 1


def _scan(text, on_char):
    """Walk text outside string literals / line comments, tracking bracket
    depth; on_char(j, c, depth) may return a value to stop."""
    depth, j, n = 0, 0, len(text)
    while j < n:
        c = text[j]
        if c in "\"`'":
            j = skip_string(text, j)
            continue
        if c == "/" and text.startswith("//", j):
            j = text.find("\n", j)
            if j < 0:
                break
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        r = on_char(j, c, depth)
        if r is not None:
            return r
        j += 1
    return None


def match_brace(text, i):
    sub = text[i:]
    r = _scan(sub, lambda j, c, d: j if (c in "})]" and d == 0) else None)
    if r is None:
        raise ValueError("unbalanced")
    return i + r


def split_top(text, sep):
    cuts = []
    _scan(text, lambda j, c, d: cuts.append(j) if (c == sep and d == 0) else None)
    parts, start = [], 0
    for c in cuts:
        parts.append(text[start:c])
        start = c + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


COMPOSITE_RE = re.compile(r"^([A-Za-z_][\w\.]*(?:\[[^\]]*\])?)\s*\{")


def parse_value(text):
    text = text.strip()
    if text and text[0] in "\"`":
        if skip_string(text, 0) == len(text):
            return {"kind": "str", "value": go_unquote(text)}
    m = COMPOSITE_RE.match(text)
    if m:
        ob = m.end() - 1
        if match_brace(text, ob) == len(text) - 1:
            return {"kind": "comp", "type": m.group(1),
                    "entries": parse_entries(text[ob + 1:-1])}
    return {"kind": "expr", "text": text}


def parse_entries(body):
    entries = []
    for part in split_top(body, ","):
        idx = _scan(part, lambda j, c, d: j if (c == ":" and d == 0) else None)
        if idx is None:
            entries.append((None, parse_value(part)))
            continue
        key_txt = part[:idx].strip()
        key = go_unquote(key_txt) if key_txt[:1] in "\"`" else key_txt
        entries.append((key, parse_value(part[idx + 1:])))
    return entries


def literal_bodies(text, start_regex):
    """Bodies of every composite literal whose opening matches start_regex
    (regex must end right at the '{')."""
    out = []
    for m in re.finditer(start_regex, text):
        ob = m.end() - 1
        assert text[ob] == "{", start_regex
        out.append(text[ob + 1:match_brace(text, ob)])
    return out


def header_schema_name(text):
    m = re.search(r"generated from OpenAPI schema: (\S+)", text)
    return m.group(1) if m else None


# --------------------------------------------------------------------------
# model_*.go : Go structs with tfsdk/json tags
# --------------------------------------------------------------------------

FIELD_RE = re.compile(r"^\s*(\w+)\s+(\S+)\s+`([^`]*)`\s*$")
TAG_RE = re.compile(r'(\w+):"([^"]*)"')


def parse_model_file(text):
    res = {}
    openapi = header_schema_name(text)
    for m in re.finditer(r"type (\w+)ResourceModel struct \{", text):
        body = text[m.end():match_brace(text, m.end() - 1)]
        fields = []
        for line in body.split("\n"):
            if not line.strip():
                continue
            fm = FIELD_RE.match(line)
            if not fm:
                raise ValueError("cannot parse struct field: %r" % line)
            tags = dict(TAG_RE.findall(fm.group(3)))
            fields.append({"go": fm.group(1), "gotype": fm.group(2), "tags": tags})
        res[m.group(1)] = {"openapi": openapi, "fields": fields}
    return res


# --------------------------------------------------------------------------
# schema_*.go : terraform schema attributes/blocks
# --------------------------------------------------------------------------


def entry_dict(entries):
    return {k: v for k, v in entries if k is not None}


def simplify_attr(kind_type, entries):
    d = entry_dict(entries)
    out = {"kind": kind_type.split(".")[-1]}
    for flag in ("Optional", "Computed", "Required", "Sensitive"):
        v = d.get(flag)
        out[flag.lower()] = bool(v and v["kind"] == "expr" and v["text"] == "true")
    desc = d.get("Description")
    out["description"] = desc["value"] if desc and desc["kind"] == "str" else ""
    et = d.get("ElementType")
    if et:
        out["element_type"] = et.get("text")
    for k in ("Default", "Validators", "PlanModifiers"):
        if k in d:
            out["has_" + k.lower()] = True
    no = d.get("NestedObject")
    src = entry_dict(no["entries"]) if no and no["kind"] == "comp" else d
    a = src.get("Attributes")
    if a and a["kind"] == "expr":
        m = re.match(r"Get(\w+)SchemaAttributes\(", a["text"])
        if m:
            out["nested_prefix"] = m.group(1)
    ct = d.get("CustomType") or src.get("CustomType")
    if ct and ct["kind"] == "expr":
        m = re.search(r"NewNestedObjectType\[(\w+)ResourceModel\]", ct["text"])
        if m:
            out["nested_custom_type"] = m.group(1)
    return out


def parse_schema_file(text):
    m = re.search(r"func Get(\w+)SchemaAttributes\(", text)
    if not m:
        return None
    prefix = m.group(1)
    attrs = {}
    for body in literal_bodies(text, r"attrs := map\[string\]schema\.Attribute\{"):
        for k, v in parse_entries(body):
            if v["kind"] != "comp":
                raise ValueError("unexpected attribute value for %s.%s" % (prefix, k))
            attrs[k] = simplify_attr(v["type"], v["entries"])
    blocks = {}
    fm = re.search(r"func get%sSchemaBlocksInternal\(" % prefix, text)
    if fm:
        fbody_start = text.index("{", fm.end())
        fbody = text[fbody_start:match_brace(text, fbody_start) + 1]
        for body in literal_bodies(fbody, r"map\[string\]schema\.Block\{"):
            for k, v in parse_entries(body):
                if v["kind"] != "comp":
                    raise ValueError("unexpected block value for %s.%s" % (prefix, k))
                blocks[k] = simplify_attr(v["type"], v["entries"])
    return {"prefix": prefix, "attrs": attrs, "blocks": blocks,
            "header_openapi": header_schema_name(text)}


# --------------------------------------------------------------------------
# resource_*.go
# --------------------------------------------------------------------------


def parse_resource_file(text):
    rt = re.search(r'ResourceType:\s*"([^"]*)"', text)
    if not rt:
        return None
    sub = re.search(r"IsSubResource:\s*(true|false)", text)
    if not sub or "Code generated by tfsmcgen" not in text:
        return None  # e.g. resource_attr.go: hand-written fake "attr" resource
    base = re.search(r"ResourceBase\[(\w+)ResourceModel\]", text)
    desc = ""
    for body in literal_bodies(text, r"resp\.Schema = schema\.Schema\{"):
        d = entry_dict(parse_entries(body))
        if "Description" in d and d["Description"]["kind"] == "str":
            desc = d["Description"]["value"]
    return {"relname": rt.group(1), "sub_resource": sub.group(1) == "true",
            "prefix": base.group(1), "openapi": header_schema_name(text),
            "description": desc}


# --------------------------------------------------------------------------
# description heuristics: enum / default / range / ref
# --------------------------------------------------------------------------

NUM = r"-?\d{1,3}(?: \d{3})+(?!\d)|-?\d+(?:\.\d+)?"  # "65 535" style or plain


def to_num(s, typ):
    s = s.replace(" ", "").replace(",", "")
    try:
        v = float(s)
    except ValueError:
        return None
    if typ == "integer":
        return int(v) if v == int(v) else None
    return v


QUOTED = r"(?<![A-Za-z0-9])'([^']{1,60})'(?![A-Za-z0-9])"
BARE = r"([A-Za-z0-9][\w\-\.\+]*)"


def sentences_after(desc, pos):
    """Text from pos up to the end of the sentence (a '.' followed by space
    or end of text, not inside a quoted token)."""
    j, n = pos, len(desc)
    inq = False
    paren = 0
    while j < n:
        c = desc[j]
        if c == "'" and (inq or j == 0 or not desc[j - 1].isalnum()):
            inq = not inq
        elif c == "(" and not inq:
            paren += 1
        elif c == ")" and not inq and paren:
            paren -= 1
        elif c == "." and not inq and not paren and (j + 1 == n or desc[j + 1] in " \n"):
            return desc[pos:j]
        j += 1
    return desc[pos:]


ITEM_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|;\s*|\s+or\s+|\s+and\s+|\s*\|\s*|\s*/\s*)")


def follow_kind(rest):
    """How the text after a value token continues."""
    if re.match(r"\s*:", rest):
        return "colon"
    if re.match(r"\s+for\b", rest):
        return "for"
    if re.match(r"\s+to\b", rest):
        return "to"
    if re.match(r"\s*\(", rest):
        return "paren"
    if re.match(r"\s*(?:[,;|/.]|$|\s+or\b|\s+and\b)", rest):
        return "sep"
    return "word"


def parse_value_list(text, allow_bare):
    """Parse 'a', 'b', or 'c' ... (optionally each followed by an explanation
    'for ...'/'(...)'/': ...').  Returns (values, item_texts, ended_cleanly)."""
    vals, items = [], []
    pos = 0
    kinds = set()
    while True:
        m = re.match(r"\s*(?:either\s+)?" + QUOTED, text[pos:])
        bare = False
        if not m and allow_bare:
            m = re.match(r"\s*(?:either\s+)?" + BARE, text[pos:])
            bare = True
        if not m:
            return vals, items, False
        val = m.group(1)
        start = pos + m.end()
        # find the next separator followed by a value token
        nxt = None
        for sm in ITEM_SEP.finditer(text, start):
            after = text[sm.end():]
            if re.match(QUOTED, after) or (allow_bare and re.match(BARE + r"\s*(?:$|[,;|/]|\s+or\b|\s+and\b|\s+for\b|\s*\()", after)):
                nxt = sm
                break
            if not bare:
                # quoted lists: explanation text may run on; keep looking
                continue
            break
        seg = text[start:nxt.start() if nxt else len(text)]
        kind = follow_kind(seg)
        if bare:
            # a bare token must stand alone or be explained by for/(/:
            if kind == "word" or re.search(r"\s\w+\s\w+\s\w+", seg) and kind not in ("for", "paren", "colon"):
                return vals, items, False
        kinds.add(kind)
        vals.append(val)
        items.append(seg)
        if not nxt:
            return vals, items, True
        pos = nxt.end()


ENUM_TRIGGERS = [
    # (regex, allow bare tokens)
    (r"(?:possible|allowed|valid) values(?: are)?(?: one of)?\s*:?\s*", True),
    (r"(?:it |which )?can be (?:set to )?one of the following\s*:?\s*", True),
    (r"one of the following\s*:\s*", True),
    (r"(?:which|it|this|that) can be (?:set to |either )?", False),
    (r"can be set to\s+", False),
    (r"options (?:include|are)\s*:?\s*", False),
    (r"\beither\s+", False),
]
EXAMPLE_TRIGGERS = [r"such as\s+", r"e\.g\.,?\s+", r"for example,?\s+"]


def numeric_list_ok(vals):
    return all(re.fullmatch(r"-?\d+", v) for v in vals)


def extract_enum(desc, typ):
    """Return (enum_values, item_texts, how) or (None, None, None)."""
    if typ not in ("string", "integer") or not desc:
        return None, None, None
    low = desc.lower()
    best = None
    open_lists = []
    for rx, allow_bare in ENUM_TRIGGERS:
        for m in re.finditer(rx, low):
            pre = low[max(0, m.start() - 12):m.start()]
            if "such as" in pre or "e.g." in pre:
                continue
            sent = sentences_after(desc, m.end())
            vals, items, clean = parse_value_list(sent, allow_bare)
            if not vals:
                # bare numbers are fine after plain "can be" triggers too
                vals, items, clean = parse_value_list(sent, True)
                if not vals or not numeric_list_ok(vals):
                    continue
            if allow_bare is False and not numeric_list_ok(vals) and not re.match(r"\s*(?:either\s+)?'", sent):
                continue
            if len(vals) < 2 and not (clean and items and items[-1].strip() == ""):
                continue
            if items and re.match(r"\s*,?\s*(?:or|and)\s+(?!')\S", items[-1]) and not re.match(r"\s*,?\s*(?:or|and)\s+\d", items[-1]):
                # "'all', 'all_with_cvi', or a specific interface ID" -> open list
                open_lists.append(vals)
                continue
            if best is None or len(vals) > len(best[0]):
                best = (vals, items, "trigger")
        if best:
            break
    if best is None:
        best_b = extract_definition_list(desc)
        if best_b:
            best = (best_b[0], best_b[1], "definition-list")
    if best is None and open_lists:
        return None, open_lists[0], "open"
    if best is None:
        return None, None, None
    vals, items, how = best
    # de-duplicate, keep order
    seen, uniq, uitems = set(), [], []
    for v, it in zip(vals, items):
        if v not in seen:
            seen.add(v)
            uniq.append(v)
            uitems.append(it)
    return uniq, uitems, how


def extract_definition_list(desc):
    """Style: "... mode. 'a' Explanation, 'b': explanation; 'c' to ..." where
    each value token starts a segment and is followed by the same kind of
    continuation as the first one."""
    rep = [m.group(1) for m in re.finditer(QUOTED + r" represents\b", desc)]
    if len(rep) >= 2 and re.search(r"\bwhere " + QUOTED + r" represents\b", desc):
        # "The boolean value, where '0' represents false and '1' represents true."
        return rep, ["" for _ in rep]
    toks = []
    for m in re.finditer(QUOTED, desc):
        pre = desc[:m.start()]
        if re.search(r"(?i)(?:for example|e\.g\.),?\s*$", pre):
            continue
        seg_start = (pre.strip() == "" or re.search(r"(?:[.:;]\s*|,\s*|,\s*(?:and|or)\s+)$", pre))
        if not seg_start:
            continue
        toks.append(m)
    if len(toks) < 2:
        return None
    first_kind = follow_kind(desc[toks[0].end():])
    # the first token must start a sentence/clause (not mid-list after ',')
    pre0 = desc[:toks[0].start()]
    if not (pre0.strip() == "" or re.search(r"[.:;]\s*$", pre0)):
        return None
    if first_kind == "sep":
        return None
    vals, items = [], []
    for i, m in enumerate(toks):
        rest = desc[m.end():]
        if follow_kind(rest) != first_kind:
            continue
        end = toks[i + 1].start() if i + 1 < len(toks) else len(desc)
        vals.append(m.group(1))
        items.append(desc[m.end():end])
    if len(vals) < 2:
        return None
    return vals, items


def extract_examples(desc, typ):
    if typ != "string" or not desc:
        return None
    for rx in EXAMPLE_TRIGGERS:
        m = re.search(rx, desc, re.I)
        if not m:
            continue
        vals, items, clean = parse_value_list(sentences_after(desc, m.end()), False)
        if vals:
            return vals
    return None


DEFAULT_PATTERNS = [
    # (regex with group 'v', doubtful?)
    (r"\bdefault value is (?P<v>'[^']*'|" + NUM + r"|true|false)", False),
    (r"\bdefault value of (?P<v>'[^']*'|" + NUM + r"|true|false)", False),
    (r"\bdefault value = (?P<v>'[^']*'|" + NUM + r"|true|false)", False),
    (r"\bdefault value \((?P<v>" + NUM + r")\)", False),
    (r"\bdefault version is (?P<v>" + NUM + r")", False),
    (r"\bdefaults to (?P<v>'[^']*'|" + NUM + r"|true|false)(?![\w])", False),
    (r"\bdefault is (?P<v>'[^']*'|" + NUM + r"|true|false)(?![\w])", False),
    (r"\bdefault: (?P<v>'[^']*'|" + NUM + r"|true|false|[\w\.\-]+)\)", False),
    (r"\bby default, (?:it|this) is set to (?P<v>'[^']*'|" + NUM + r"|true|false)(?![\w])", False),
    (r"\bby default \((?P<v>" + NUM + r")\)", False),
    (r"\bit is (?P<v>true|false) by default\b", False),
    (r"\bby default, it is (?P<v>not)\b", True),
    (r"\bthe default is [^.]*?, (?P<v>" + NUM + r")\.", True),
]


def coerce(v, typ, enum):
    v = v.strip()
    if typ == "boolean":
        if v in ("true", "false"):
            return v == "true"
        if v == "not":
            return False
        return None
    if v == "not":
        return None
    if v.startswith("'"):
        v = v[1:-1]
        if typ == "string":
            return v
    if typ in ("integer", "number"):
        return to_num(v, typ)
    if typ == "string":
        if enum and v not in enum:
            return None
        return v
    return None


def extract_default(desc, typ, enum, enum_items):
    if not desc or typ not in ("string", "integer", "boolean", "number"):
        return None, None
    for rx, doubtful in DEFAULT_PATTERNS:
        m = re.search(rx, desc, re.I)
        if m:
            v = coerce(m.group("v"), typ, enum)
            if v is not None:
                return v, ("doubtful:" + rx) if doubtful else rx
    # "'always' (default)" / "'sign': (default) ..." / "... This is the default setting"
    if enum and enum_items:
        hits = [v for v, it in zip(enum, enum_items)
                if re.search(r"\(default\)|\bthis is the default\b", it, re.I)]
        if len(hits) == 1:
            v = coerce("'%s'" % hits[0], typ, enum)
            if v is not None:
                return v, "enum-item-marked-default"
    if enum:
        hits = [m.group(1) for m in re.finditer(QUOTED + r":?\s+(?:\(default\)|this is the default\b)", desc, re.I)
                if m.group(1) in enum]
        if len(set(hits)) == 1:
            v = coerce("'%s'" % hits[0], typ, enum)
            if v is not None:
                return v, "enum-item-marked-default"
    return None, None


RANGE_PATTERNS = [
    (r"\bbetween (?P<a>" + NUM + r")(?:\s*\([^)]*\))?\s*(?:-|and|to)\s*(?P<b>" + NUM + r")", False),
    (r"\branging from (?P<a>" + NUM + r")(?: [a-z]+)?(?:\s*\([^)]*\))? to (?P<b>" + NUM + r")", False),
    (r"\bfrom (?P<a>" + NUM + r")(?:\s*\([^)]*\))? to (?P<b>" + NUM + r")\b", True),
    (r"\bat least (?P<a>" + NUM + r")\b(?! ?%)", False),
    (r"\(>= ?(?P<a>" + NUM + r")\)", False),
    (r"\(<= ?(?P<b>" + NUM + r")\)", False),
    (r"\(maximum: (?P<b>" + NUM + r")", False),
    (r"\bgreater than (?P<z>zero)\b", False),
]


def extract_range(desc, typ):
    if not desc or typ not in ("integer", "number"):
        return None, None
    found = []
    for rx, doubtful in RANGE_PATTERNS:
        for m in re.finditer(rx, desc, re.I):
            gd = m.groupdict()
            if gd.get("z"):
                found.append(([1 if typ == "integer" else 0, None], rx, True))
                continue
            a = to_num(gd["a"], typ) if gd.get("a") else None
            b = to_num(gd["b"], typ) if gd.get("b") else None
            if a is None and b is None:
                continue
            if a is not None and b is not None and a > b:
                continue
            found.append(([a, b], rx, doubtful))
    if not found:
        return None, None
    uniq = []
    for r in found:
        if r[0] not in [u[0] for u in uniq]:
            uniq.append(r)
    rng, rx, doubtful = uniq[0]
    if len(uniq) > 1:
        doubtful = True
    return rng, ("doubtful:" if doubtful else "") + rx


URI_DESC_RE = re.compile(r"^\s*(?:The )?(?:URI|href|HREF)s? of (?:the |a |an )?(?P<x>.+?)\.?\s*$", re.I)


def norm(s):
    s = s.lower()
    s = re.sub(r"\b(the|a|an)\b", " ", s)
    return re.sub(r"[^a-z0-9]", "", s)


# --------------------------------------------------------------------------
# main extraction
# --------------------------------------------------------------------------


SCALARS = {"types.String": "string", "types.Int64": "integer",
           "types.Bool": "boolean", "types.Float64": "number"}
KIND_FOR_SCALAR = {"string": "StringAttribute", "integer": "Int64Attribute",
                   "boolean": "BoolAttribute", "number": "Float64Attribute"}
ELEM_FOR_SCALAR = {"string": "types.StringType", "integer": "types.Int64Type",
                   "boolean": "types.BoolType", "number": "types.Float64Type"}


def go_type_info(gotype):
    """-> (type, items-dict-or-None, model-prefix-or-None)"""
    if gotype in SCALARS:
        return SCALARS[gotype], None, None
    m = re.fullmatch(r"\*\[\](types\.\w+)", gotype)
    if m:
        return "array", {"type": SCALARS[m.group(1)]}, None
    m = re.fullmatch(r"\*\[\](\w+)ResourceModel", gotype)
    if m:
        return "array", {"type": "object"}, m.group(1)
    m = re.fullmatch(r"customfield\.NestedObjectList\[(\w+)ResourceModel\]", gotype)
    if m:
        return "array", {"type": "object"}, m.group(1)
    m = re.fullmatch(r"\*(\w+)ResourceModel", gotype)
    if m:
        return "object", None, m.group(1)
    m = re.fullmatch(r"customfield\.Map\[(types\.\w+)\]", gotype)
    if m:
        return "map", {"type": SCALARS[m.group(1)]}, None
    raise ValueError("unknown Go type %s" % gotype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", default=DEFAULT_REPO)
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--debug", help="write a JSON with the provenance of every heuristic hit (includes description text; for review only)")
    args = ap.parse_args()

    commit = git(args.repo, "rev-parse", args.rev).strip()
    paths = [p for p in git(args.repo, "ls-tree", "-r", "--name-only", commit,
                            "internal/schema", "docs/resources").split("\n") if p]
    wanted = [p for p in paths if (p.startswith("internal/schema/") and p.endswith(".go"))
              or (p.startswith("docs/resources/") and p.endswith(".md"))]
    blobs = read_blobs(args.repo, commit, wanted)

    warnings = []
    structs = {}      # prefix -> {"openapi", "fields"}
    schemas = {}      # prefix -> parsed schema file
    resources = []    # parsed resource files
    doc_category = {}
    for p in sorted(blobs):
        text = blobs[p]
        base = p.rsplit("/", 1)[-1]
        if p.startswith("docs/"):
            m = re.search(r'^subcategory:\s*"([^"]*)"', text, re.M)
            t = re.search(r'^page_title:\s*"smc_([^"]*)"', text, re.M)
            if m and t and m.group(1):
                doc_category[t.group(1)] = m.group(1)  # keyed by RelName
            continue
        if base.startswith("model_"):
            for k, v in parse_model_file(text).items():
                if k in structs:
                    warnings.append("duplicate struct %s" % k)
                v["file"] = base
                structs[k] = v
        elif base.startswith("schema_"):
            s = parse_schema_file(text)
            if s:
                s["file"] = base
                if s["prefix"] in schemas:
                    warnings.append("duplicate schema prefix %s" % s["prefix"])
                schemas[s["prefix"]] = s
        elif base.startswith("resource_"):
            r = parse_resource_file(text)
            if r:
                r["tf_name"] = base[len("resource_"):-3]
                resources.append(r)

    prefix_to_openapi = {k: v["openapi"] for k, v in structs.items()}
    if len(set(prefix_to_openapi.values())) != len(prefix_to_openapi):
        c = collections.Counter(prefix_to_openapi.values())
        warnings.append("OpenAPI names shared by several structs: %s" % [k for k, n in c.items() if n > 1])

    # ---- description -> relname map (for reference targets)
    desc_to_rel = collections.defaultdict(set)
    name_to_rel = collections.defaultdict(set)
    for r in resources:
        if r["description"]:
            desc_to_rel[r["description"].strip()].add(r["relname"])
        for n in (r["openapi"] or "", r["tf_name"], r["relname"]):
            name_to_rel[norm(n.replace("_", " "))].add(r["relname"])
    desc_keys_by_len = sorted(desc_to_rel, key=len, reverse=True)

    def match_targets(desc):
        d = desc.strip()
        if not d:
            return None, None
        if d in desc_to_rel:
            return sorted(desc_to_rel[d]), "description"
        for k in desc_keys_by_len:
            if len(k) >= 40 and d.startswith(k):
                return sorted(desc_to_rel[k]), "description-prefix"
        m = URI_DESC_RE.match(d)
        if m:
            x = m.group("x")
            # "URI of the source or match expression" -> no single target
            cand = norm(x)
            if cand in name_to_rel:
                return sorted(name_to_rel[cand]), "uri-of-name"
            # "URI of the Network representing the client network ..." -> network
            words = x.split()
            for n in range(len(words) - 1, 0, -1):
                rest = " ".join(words[n:])
                if re.match(r"(?:representing|to|used|which|that|belonging|for|associated|in)\b", rest):
                    c2 = norm(" ".join(words[:n]))
                    if c2 in name_to_rel:
                        return sorted(name_to_rel[c2]), "uri-of-name-prefix"
        return None, None

    stats = collections.Counter()
    debug = {"enum": [], "default": [], "range": [], "ref": [], "examples": []}

    def build_attributes(prefix, where):
        st = structs[prefix]
        sch = schemas.get(prefix)
        if sch is None:
            warnings.append("no schema for struct %s" % prefix)
            sch = {"attrs": {}, "blocks": {}}
        out = {}
        for f in st["fields"]:
            tags = f["tags"]
            js = tags.get("json")
            if js is None or js == "-" or js.split(",")[0] in ("", "-"):
                continue
            jname = js.split(",")[0]
            tfname = tags.get("tfsdk")
            if tfname == "-":
                tfname = jname  # e.g. `link`: the tf attribute of that name is a map alias
            typ, items, mprefix = go_type_info(f["gotype"])
            if typ == "map":
                warnings.append("json-mapped map field %s.%s" % (prefix, jname))
            sa = sch["attrs"].get(tfname)
            sb = sch["blocks"].get(tfname)
            se = sa or sb
            if se is None:
                warnings.append("no schema entry for %s.%s" % (prefix, tfname))
                se = {"kind": "?", "optional": False, "computed": False, "required": False, "description": ""}
            # consistency checks between Go struct type and tf schema kind
            if tags.get("tfsdk") != "-":
                exp = None
                if typ in KIND_FOR_SCALAR:
                    exp = KIND_FOR_SCALAR[typ]
                elif typ == "array" and items["type"] != "object":
                    exp = "ListAttribute"
                    if se.get("element_type") != ELEM_FOR_SCALAR[items["type"]]:
                        warnings.append("element type mismatch %s.%s" % (prefix, jname))
                elif typ == "array":
                    exp = "ListNestedBlock"
                elif typ == "object":
                    exp = "SingleNestedBlock"
                if se["kind"] != exp:
                    warnings.append("kind mismatch %s.%s: go %s vs tf %s" % (prefix, jname, f["gotype"], se["kind"]))
                if mprefix and se.get("nested_prefix") and se["nested_prefix"] != mprefix:
                    warnings.append("nested model mismatch %s.%s" % (prefix, jname))
            a = {"type": typ}
            if mprefix:
                if mprefix not in prefix_to_openapi:
                    warnings.append("unknown nested struct %s" % mprefix)
                    mname = mprefix
                else:
                    mname = prefix_to_openapi[mprefix]
                if typ == "object":
                    a["model"] = mname
                else:
                    items = dict(items, model=mname)
                used_nested.add(mprefix)
            if items is not None:
                a["items"] = items
            is_block = se["kind"].endswith("Block")
            if is_block:
                # TF blocks carry no Optional/Computed flags; nested objects are optional
                a["optional"], a["computed"], a["required"] = True, False, False
            else:
                a["optional"], a["computed"], a["required"] = se["optional"], se["computed"], se["required"]
            if tags.get("fpro"):
                if not a["computed"]:
                    warnings.append("fpro field not computed: %s.%s" % (prefix, jname))
                a["computed"] = True
            if se.get("sensitive"):
                a["sensitive"] = True
            desc = se.get("description", "")
            ctx = "%s.%s" % (where, jname)

            # ---- references
            scalar_t = typ if typ != "array" else (items or {}).get("type")
            if scalar_t == "string" and not is_block and jname != "link":
                reason = None
                if re.search(r"_refs?$", jname):
                    reason = "name"
                elif URI_DESC_RE.match(desc) or re.search(r"\bhref\b", desc, re.I):
                    reason = "uri-description"
                targets, how = match_targets(desc)
                if reason is None and targets and how.startswith("description"):
                    reason = "resource-description"
                if reason is None and re.match(r"(?:This represents|This is (?:a|an|the)\b|Base class)", desc):
                    reason = "element-description"
                if reason:
                    a["ref"] = True
                    if targets:
                        a["targets"] = targets
                    stats["refs"] += 1
                    stats["refs_with_targets" if targets else "refs_without_targets"] += 1
                    stats["ref_reason:" + reason] += 1
                    if targets:
                        stats["target_match:" + how] += 1
                    debug["ref"].append({"at": ctx, "reason": reason, "targets": targets, "match": how,
                                         "desc": desc[:160]})

            # ---- enum / default / range
            if not is_block and typ in ("string", "integer", "number", "boolean") and not a.get("ref"):
                enum, eitems, how = extract_enum(desc, typ)
                if how == "open":
                    a["enum_examples"] = eitems
                    stats["enum_examples"] += 1
                    debug["examples"].append({"at": ctx, "examples": eitems, "how": "open-list", "desc": desc})
                    eitems = None
                if enum:
                    if typ == "integer":
                        if numeric_list_ok(enum):
                            enum = [int(v) for v in enum]
                        else:
                            debug["enum"].append({"at": ctx, "rejected": enum, "why": "non-integer values for integer attribute", "desc": desc})
                            enum = None
                if enum:
                    a["enum"] = enum
                    stats["enums"] += 1
                    debug["enum"].append({"at": ctx, "enum": enum, "how": how, "desc": desc})
                elif "enum_examples" not in a:
                    ex = extract_examples(desc, typ)
                    if ex and len(ex) >= 1:
                        a["enum_examples"] = ex
                        stats["enum_examples"] += 1
                        debug["examples"].append({"at": ctx, "examples": ex, "desc": desc})
                dflt, dhow = extract_default(desc, typ, [str(v) for v in enum] if enum else None, eitems if enum else None)
                if dflt is not None:
                    if enum and typ == "integer" and dflt not in enum:
                        pass
                    a["default"] = dflt
                    stats["defaults"] += 1
                    debug["default"].append({"at": ctx, "default": dflt, "how": dhow, "desc": desc})
                rng, rhow = extract_range(desc, typ)
                if rng is not None:
                    a["range"] = rng
                    stats["ranges"] += 1
                    debug["range"].append({"at": ctx, "range": rng, "how": rhow, "desc": desc})
            out[jname] = a
            stats["attributes"] += 1
        return out

    used_nested = set()
    types = {}
    for r in sorted(resources, key=lambda r: r["relname"]):
        if r["relname"] in types:
            warnings.append("duplicate relname %s" % r["relname"])
        if r["prefix"] not in structs:
            warnings.append("resource %s has no struct" % r["relname"])
            continue
        if r["openapi"] != structs[r["prefix"]]["openapi"]:
            warnings.append("resource/model OpenAPI name differ for %s" % r["relname"])
        t = {"tf_name": r["tf_name"], "model": structs[r["prefix"]]["openapi"],
             "sub_resource": r["sub_resource"],
             "attributes": build_attributes(r["prefix"], r["relname"])}
        if r["relname"] in doc_category:
            t["doc_category"] = doc_category[r["relname"]]
        types[r["relname"]] = t
    type_attr_count = stats["attributes"]

    models = {}
    resource_prefixes = {r["prefix"] for r in resources}
    for prefix in sorted(structs, key=lambda p: structs[p]["openapi"]):
        name = structs[prefix]["openapi"]
        if name in models:
            warnings.append("model name collision %s" % name)
        models[name] = {"attributes": build_attributes(prefix, "model:" + name),
                        "used_nested": False, "is_resource": prefix in resource_prefixes}
    for prefix in used_nested:
        models[prefix_to_openapi[prefix]]["used_nested"] = True
    stats["model_attributes"] = stats["attributes"] - type_attr_count

    # header comment of schema_*.go is not reliable (e.g. schema_host.go says Single_Firewall)
    hdr_mismatch = sorted(s["file"] for p, s in schemas.items()
                          if p in structs and s["header_openapi"] != structs[p]["openapi"])

    result = {
        "source": {"repo": SOURCE_REPO, "commit": commit, "smc_version": SMC_VERSION},
        "types": types,
        "models": models,
    }
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
        fh.write("\n")
    if args.debug:
        debug["warnings"] = warnings
        debug["schema_header_mismatch"] = hdr_mismatch
        with open(args.debug, "w") as fh:
            json.dump(debug, fh, indent=1, sort_keys=True)

    # ---- summary, counted by walking the written structure
    def count(entries):
        c = collections.Counter()
        for e in entries:
            for a in e["attributes"].values():
                c["attributes"] += 1
                if a.get("ref"):
                    c["refs"] += 1
                    c["refs_with_targets" if a.get("targets") else "refs_without_targets"] += 1
                for k in ("enum", "enum_examples", "default", "range"):
                    if k in a:
                        c[k] += 1
        return c

    nsub = sum(1 for t in types.values() if t["sub_resource"])
    only_nested = sum(1 for m in models.values() if m["used_nested"] and not m["is_resource"])
    ct, cm = count(types.values()), count(models.values())
    print("wrote %s (commit %s)" % (args.out, commit))
    print("types:   %d (%d top-level, %d sub-resources)" % (len(types), len(types) - nsub, nsub))
    print("models:  %d (%d resource models, %d used only nested, %d resource+nested, %d unused/abstract)" % (
        len(models), sum(1 for m in models.values() if m["is_resource"]), only_nested,
        sum(1 for m in models.values() if m["is_resource"] and m["used_nested"]),
        sum(1 for m in models.values() if not m["is_resource"] and not m["used_nested"])))
    print("%-22s %8s %8s" % ("", "types", "models"))
    for k in ("attributes", "refs", "refs_with_targets", "refs_without_targets",
              "enum", "enum_examples", "default", "range"):
        print("%-22s %8d %8d" % (k, ct[k], cm[k]))
    print("ref reasons / target matches (types+models):")
    for k in sorted(stats):
        if k.startswith("ref_reason:") or k.startswith("target_match:"):
            print("   %-32s %d" % (k, stats[k]))
    print("schema_*.go header comments disagreeing with model: %d" % len(hdr_mismatch))
    print("warnings:             %d" % len(warnings))
    for w in warnings[:40]:
        print("  WARN", w)
    return 0


if __name__ == "__main__":
    sys.exit(main())

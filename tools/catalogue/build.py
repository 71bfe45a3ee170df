#!/usr/bin/env python3
"""Builds Herald's element catalogue (a resource file the server reads at start) from facts.

Inputs, all in this folder:
  sources/terraform-schema.json   SMC 7.4.1's API model as Forcepoint's Terraform provider ships it
                                  (extract_terraform.py reads it from a clone of
                                  Forcepoint-NSP/terraform-provider-fp-ngfw-smc): types, attributes,
                                  JSON types, enums, defaults, reference targets, nested models.
  sources/smc-python-elements.json what smc-python 1.0.31 sends and reads per element type
                                  (create bodies and their defaults, link rels it follows).
  sources/relnames.txt
                                  every RelName smc-python knows (SMC-API.md section 2.1).
  overlay.json                    Herald's decisions (aliases, formats, families, containers,
                                  defaults, links).
Output:
  ../../herald-server/src/main/resources/dev/herald/server/catalogue.json

Facts only: names, types, defaults, enum values, targets. No description text is read or
written. Standard library only; the output is deterministic (sorted keys).

    python3 tools/catalogue/build.py
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "herald-server/src/main/resources/dev/herald/server/catalogue.json")
RELNAMES = os.path.join(HERE, "sources", "relnames.txt")


def load(name):
    with open(os.path.join(HERE, name)) as f:
        return json.load(f)


def strip_meta(d):
    return {k: v for k, v in d.items() if not k.startswith("_")}


def convert(attr):
    """A Terraform-extracted attribute as a catalogue attribute spec."""
    out = {"type": attr["type"]}
    if attr.get("computed"):
        out["computed"] = True
    if "items" in attr:
        items = {"type": attr["items"].get("type", "string")}
        if attr["items"].get("model"):
            items["model"] = attr["items"]["model"]
        out["items"] = items
    if attr.get("model"):
        out["model"] = attr["model"]
    if attr.get("ref"):
        out["ref"] = sorted(attr.get("targets") or ["*"])
    if attr.get("enum") and attr["type"] in ("string", "integer"):
        out["enum"] = attr["enum"]
    if "default" in attr:
        out["default"] = attr["default"]
    if attr.get("range"):
        out["range"] = attr["range"]
    return out


def infer(value):
    """The JSON type of a default value smc-python sends."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, list):
        return {"type": "array"}
    if isinstance(value, dict):
        return {"type": "object"}
    return {"type": "string"}


def is_plain_default(v):
    """A create-body value smc-python sends when the caller gives nothing (not a placeholder)."""
    if v is None:
        return False
    if isinstance(v, str) and v.startswith("<"):
        return False
    return True


JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def fits(value, spec):
    """Whether a default value has the attribute's JSON type (bool is not an integer)."""
    want = JSON_TYPES.get(spec.get("type"))
    if want is None:
        return True
    if isinstance(value, bool) and spec.get("type") in ("integer", "number"):
        return False
    return isinstance(value, want)


def widen_enum(spec, value, where, log):
    """smc-python sends this literal: SMC accepts it, whatever the published enum says."""
    if "enum" in spec and isinstance(value, (str, int)) and not isinstance(value, bool) and value not in spec["enum"]:
        spec["enum"] = spec["enum"] + [value]
        log.append("%s: enum widened with %r (smc-python sends it)" % (where, value))


def reconcile(types, models):
    """Defaults that are not values of their attribute are dropped (a note, not a value, in a
    source); literal values smc-python sends widen an enum that lacks them. Reported on stderr."""
    log = []
    for name, t in types.items():
        attrs = t["attributes"]
        for a, v in list(t.get("defaults", {}).items()):
            spec = attrs.get(a)
            if spec is None or spec.get("type") == "any":
                continue
            if not fits(v, spec):
                del t["defaults"][a]
                log.append("%s.%s: default %.40r dropped (not a %s)" % (name, a, v, spec["type"]))
                continue
            widen_enum(spec, v, "%s.%s" % (name, a), log)
            if isinstance(v, dict) and spec.get("model") in models:
                m = models[spec["model"]]["attributes"]
                for k, kv in v.items():
                    if k in m:
                        widen_enum(m[k], kv, "%s.%s" % (spec["model"], k), log)
        if not t.get("defaults"):
            t.pop("defaults", None)
    for line in log:
        print("  " + line, file=sys.stderr)


def main():
    tf = load("sources/terraform-schema.json")
    sp = load("sources/smc-python-elements.json")
    ov = load("overlay.json")
    relnames = [l.strip() for l in open(RELNAMES) if l.strip() and not l.startswith("#")]

    aliases = strip_meta(ov["aliases"])                 # terraform name -> RelName
    tf_of = {}                                           # RelName -> terraform type entry
    for name, entry in tf["types"].items():
        tf_of[aliases.get(name, name)] = (name, entry)

    rule_collections = strip_meta(ov.get("rule_collections", {}))
    rule_types = sorted({r for cols in rule_collections.values() for r in cols.values()})
    names = set(relnames) | set(tf_of) | set(sp["types"]) | set(rule_types)
    families = strip_meta(ov["families"])
    computed = set(ov["computed"])

    def family_members(fam):
        spec = families[fam]
        if isinstance(spec, str):                        # a pattern such as *_tag
            rx = re.compile("^" + spec.replace("*", ".*") + "$")
            return sorted(n for n in names if rx.match(n))
        return spec

    types = {}
    used_models = set()
    for name in sorted(names):
        t = {"sources": []}
        attrs = {}
        if name in tf_of:
            tf_name, entry = tf_of[name]
            t["sources"].append("terraform-provider-fp-ngfw-smc@%s:%s (%s)" % (
                tf["source"]["commit"][:7], entry["model"], tf_name))
            t["model"] = entry["model"]
            if entry.get("sub_resource"):
                t["sub_resource"] = True
            for a, spec in entry["attributes"].items():
                if a in ("link",):
                    continue
                attrs[a] = convert(spec)
        sp_entry = sp["types"].get(name)
        if sp_entry:
            t["sources"].append("fp-NGFW-SMC-python@dfd8919:%s (%s)" % (sp_entry["module"], sp_entry["class"]))
            for a, v in (sp_entry.get("create_body") or {}).items():
                if a not in attrs:
                    attrs[a] = infer(v) if is_plain_default(v) or v is None else {"type": "string"}
                    if v is None or (isinstance(v, str) and v.startswith("<")):
                        attrs[a] = {"type": "any"}
        if not t["sources"]:
            t["sources"].append("overlay.json rule_collections (a rule type smc-python follows)" if name in rule_types
                                and name not in relnames else "SMC-API.md section 2.1 (a RelName smc-python knows)")
        for a in list(attrs):
            if a in computed:
                attrs[a]["computed"] = True
        # defaults: smc-python's create bodies, Terraform's stated defaults, Herald's overlay
        defaults = {}
        if sp_entry:
            for a, v in (sp_entry.get("create_body") or {}).items():
                if is_plain_default(v) and a != "name":
                    defaults[a] = v
        for a, spec in attrs.items():
            if "default" in spec and not spec.get("computed"):
                defaults.setdefault(a, spec.pop("default"))
            else:
                spec.pop("default", None)
        defaults.update(ov["defaults"].get(name, {}))
        if defaults:
            t["defaults"] = defaults
        for a, spec in ov.get("attributes", {}).get(name, {}).items():
            attrs.setdefault(a, {}).update(spec)
        for a, fmt in ov["formats"].get(name, {}).items():
            base = a[:-2] if a.endswith("[]") else a
            spec = attrs.setdefault(base, {"type": "array" if a.endswith("[]") else "string"})
            if a.endswith("[]"):
                spec.setdefault("items", {"type": "string"})["format"] = fmt
            else:
                spec["format"] = fmt
        for a, rng in ov["ranges"].get(name, {}).items():
            attrs.setdefault(a, {"type": "integer"})["range"] = rng
        t["attributes"] = attrs
        if name in ov["required"]:
            t["one_of_required"] = ov["required"][name]
        if name in ov["ordered"]:
            t["ordered"] = ov["ordered"][name]
        fams = sorted(f for f in families if name in family_members(f))
        if fams:
            t["families"] = fams
        if name in ov["containers"]:
            c = dict(ov["containers"][name])
            member_types = set(c.pop("types", []))
            for f in c.pop("families", []):
                member_types |= set(family_members(f))
            c["types"] = sorted(member_types)
            t["container"] = c
            attrs.setdefault(c["attribute"], {"type": "array"})
            attrs[c["attribute"]]["items"] = {"type": "string"}
            attrs[c["attribute"]]["ref"] = c["types"]
        # links: every element's, the type's own from smc-python, and the overlay's
        links = {l["rel"]: dict(l) for l in ov["links"]["every"]}
        if sp_entry:
            for l in (sp_entry.get("link_rels") or []):
                how = l["how"].upper()
                method = "GET" if how.startswith("GET") or "COLLECTION" in how or "HREF" in how else how.split("/")[0].split("-")[0]
                kind = "collection" if "COLLECTION" in how else ("resource" if method == "GET" else "action")
                links.setdefault(l["rel"], {"rel": l["rel"], "method": method, "kind": kind})
        for suffix, extra in ov["links"]["by_suffix"].items():
            if name.endswith(suffix):
                for l in extra:
                    links[l["rel"]] = dict(l)
        for l in ov["links"]["by_type"].get(name, []):
            links[l["rel"]] = dict(l)
        if name in rule_collections:
            # the collections: their href ends in the rule type (singular), not the rel
            t["rules"] = dict(rule_collections[name])
            for rel, rule_type in rule_collections[name].items():
                links[rel] = {"rel": rel, "method": "GET", "kind": "rules", "implemented": True, "path": rule_type}
            if name not in ov["policy_links"].get("except", ["alert_chain"]):
                for l in ov["policy_links"]["links"]:
                    links[l["rel"]] = dict(l)
        engines = ov.get("engines", {})
        if name in engines.get("types", {}):
            # an engine: its node type, and the links of engines and of their nodes
            t["engine"] = dict(engines["types"][name])
            t["engine"]["node_links"] = [dict(l) for l in engines["node_links"]]
            t["engine"]["interface_defaults"] = dict(engines.get("interface_defaults", {}))
            t["engine"]["node_commands"] = {k: v for k, v in engines.get("node_commands", {}).items() if not k.startswith("_")}
            spoof = engines.get("antispoofing", {})
            entry_types = set()
            for f in spoof.get("entry_families", []):
                entry_types |= set(family_members(f))
            t["engine"]["antispoofing"] = {"entry_types": sorted(entry_types), "validity": spoof.get("validity", [])}
            t["engine"]["diagnostics"] = list(engines.get("diagnostics", {}).get("names", []))
            for l in engines["links"]:
                links[l["rel"]] = dict(l)
        if name in ov.get("rule_actions", {}) and not name.startswith("_"):
            t["rule_actions"] = dict(ov["rule_actions"][name])
            meanings = ov["rule_actions"].get("_meanings", {})
            for m in ("ends", "needs_vpn"):
                t["rule_actions"][m] = [a for a in meanings.get(m, []) if a in t["rule_actions"]["actions"]]
        if name in rule_types:
            t["rule"] = True
            t["sub_resource"] = True
            for l in ov["rule_links"]["links"]:
                links[l["rel"]] = dict(l)
            for a, spec in ov["rule_links"].get("attributes", {}).items():
                attrs.setdefault(a, dict(spec))
        sub = ov.get("sub_elements", {})
        for rel in sub.get("held_by", {}).get(name, []):
            # a collection of elements this one holds (their type is the rel)
            links[rel] = {"rel": rel, "method": "GET", "kind": "sub_elements", "implemented": True}
        if name in sub.get("types", {}):
            spec = dict(sub["types"][name])
            for a, r in spec.pop("refs", {}).items():
                ref = set(r.get("types", []))
                for f in r.get("families", []):
                    ref |= set(family_members(f))
                target = attrs.setdefault(a, {"type": "string"})
                (target["items"] if target.get("type") == "array" and "items" in target else target)["ref"] = sorted(ref)
            spec["max_per_holder"] = sub.get("max_per_holder", 1000)
            t["sub_element"] = spec
            t["sub_resource"] = True
        packages = ov.get("packages", {})
        if name in packages and not name.startswith("_"):
            # software listed under system: its states and the actions each offers
            t["package"] = dict(packages[name])
            for rels in t["package"]["states"].values():
                for rel in rels:
                    links[rel] = dict(links.get(rel, {"rel": rel, "method": "POST", "kind": "action"}), implemented=True)
        t["links"] = [links[r] for r in sorted(links)]
        t["status"] = "validated" if name in tf_of or name in ov["formats"] else "stored"
        for spec in attrs.values():
            for m in (spec.get("model"), spec.get("items", {}).get("model")):
                if m:
                    used_models.add(m)
        types[name] = t

    # nested models, transitively
    models = {}
    todo = sorted(used_models)
    while todo:
        m = todo.pop()
        if m in models or m not in tf["models"]:
            continue
        attrs = {}
        for a, spec in tf["models"][m]["attributes"].items():
            if a == "link":
                continue
            c = convert(spec)
            c.pop("default", None)
            attrs[a] = c
            for sub in (c.get("model"), c.get("items", {}).get("model")):
                if sub and sub not in models:
                    todo.append(sub)
        models[m] = {"attributes": attrs}

    reconcile(types, models)

    vpns = strip_meta(ov.get("vpns", {}))
    for name, t in types.items():
        if any(l.get("kind") == "tunnels" for l in t["links"]):
            t["vpn"] = vpns
    out = {
        "about": "Generated by tools/catalogue/build.py from tools/catalogue/sources and overlay.json; do not edit by hand.",
        "sources": {
            "terraform": tf["source"],
            "smc_python": sp["source"],
        },
        "aliases": aliases,
        "families": {f: family_members(f) for f in sorted(families)},
        "monitoring": strip_meta(ov.get("monitoring", {})),
        "types": types,
        "models": models,
    }
    with open(OUT, "w") as f:
        # one type or model per line: reviewable diffs, a file the server reads fast
        f.write("{\n")
        keys = ["about", "sources", "aliases", "families", "monitoring"]
        for k in keys:
            f.write(json.dumps(k) + ": " + json.dumps(out[k], sort_keys=True) + ",\n")
        for section in ("types", "models"):
            f.write(json.dumps(section) + ": {\n")
            items = sorted(out[section].items())
            for i, (k, v) in enumerate(items):
                f.write("  " + json.dumps(k) + ": " + json.dumps(v, sort_keys=True, separators=(",", ":"))
                        + ("," if i < len(items) - 1 else "") + "\n")
            f.write("}" + ("," if section == "types" else "") + "\n")
        f.write("}\n")
    print("catalogue: %d types (%d validated), %d models -> %s" % (
        len(types), sum(1 for t in types.values() if t["status"] == "validated"), len(models),
        os.path.relpath(OUT, ROOT)))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Normalize Jupyter notebooks in place so that re-executing them gives the same bytes.

Usage: /usr/bin/python3 scripts/normalize_notebook.py NOTEBOOK.ipynb...

It uses only the standard library (run it with /usr/bin/python3 or any Python 3) and:
  * gives every cell without an "id" a stable one, "cell-<index>" (nbformat would
    otherwise invent random ids on each run);
  * removes volatile cell metadata: "execution" (timestamps, when record_timing is on)
    and "ExecuteTime" (the jupyterlab-execute-time extension);
  * splits multi-line strings into lists of lines and writes the JSON the way nbformat's
    writer does (indent 1, sorted keys, UTF-8, final newline), so a notebook written by
    this script and one written by Jupyter are the same bytes;
  * only rewrites a file whose bytes change.

Make runs it before and after `jupyter nbconvert --execute --inplace` (see `make notebooks`).
"""

import json
import sys

VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")

# Non-"text/*" MIME types whose string data nbformat splits into lines.
SPLIT_MIMES = ("application/javascript", "image/svg+xml")


def split_lines(value):
    """Returns value as nbformat stores multi-line strings: a list of lines."""
    return value.splitlines(True) if isinstance(value, str) else value


def split_mimebundle(data):
    for key, value in data.items():
        if key.startswith("text/") or key in SPLIT_MIMES:
            data[key] = split_lines(value)


def normalize(nb):
    ids = {cell.get("id") for cell in nb.get("cells", [])}
    for index, cell in enumerate(nb.get("cells", [])):
        if not cell.get("id"):
            new_id = "cell-%d" % index
            while new_id in ids:
                new_id += "x"
            ids.add(new_id)
            cell["id"] = new_id
        metadata = cell.get("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            metadata.pop(key, None)
        if "source" in cell:
            cell["source"] = split_lines(cell["source"])
        for attachment in cell.get("attachments", {}).values():
            split_mimebundle(attachment)
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("execute_result", "display_data"):
                split_mimebundle(output.get("data", {}))
            elif "text" in output:
                output["text"] = split_lines(output["text"])
    # Cell ids need nbformat 4.5.
    if nb.get("nbformat") == 4 and nb.get("nbformat_minor", 0) < 5:
        nb["nbformat_minor"] = 5
    return nb


def main(paths):
    if not paths:
        sys.exit(__doc__)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            old = f.read()
        nb = normalize(json.loads(old))
        new = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if new != old:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            print("normalized", path)


if __name__ == "__main__":
    main(sys.argv[1:])

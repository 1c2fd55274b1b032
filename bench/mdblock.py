"""A generated block between two markers in a markdown file (docs/performance.md):
replaced in place, so hand-written text around it survives; where the
markers are missing, `on_missing(text, block)` says where the block goes.
Shared by bench.py, soak.py and startstop.py."""
import os


def write_block(path, begin, end, inner, on_missing, absent=""):
    """`absent`: the text to start from when the file does not exist."""
    text = absent
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    block = f"{begin}\n{inner}{end}"
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        text = pre + block + rest.split(end, 1)[1]
    else:
        text = on_missing(text, block)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

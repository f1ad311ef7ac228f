"""MkDocs hooks: the notebook pages lose the scripts nbconvert adds for what they do not hold.

nbconvert's page template carries a MathJax loader and a Mermaid loader that would fetch from a CDN. The
notebooks hold no formulas in TeX and no diagrams, so the scripts do nothing; removing them keeps every page
of the site free of addresses outside it, which a test checks.
"""

import re

#: the scripts of nbconvert's template: an empty MathJax source, its configuration, and the Mermaid loader
UNUSED = re.compile(r'<script src=""> </script>|<script type="text/x-mathjax-config">.*?</script>'
                    r'|<script type="module">(?:(?!</script>).)*?cdnjs\.cloudflare\.com.*?</script>', re.S)


def on_post_page(output: str, page, config) -> str:
    """The page's HTML, without nbconvert's unused loaders when the page is a notebook."""
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    return UNUSED.sub("", output)

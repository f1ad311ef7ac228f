"""MkDocs hooks: links written for a code host become the site's; the notebook pages lose the scripts
nbconvert adds for what they do not hold.

The Markdown under ``docs/`` reads on a code host as it is: it links the notebooks, DEVELOPERS.md and the
README's table of levels as the repository's own files. The site makes pages of them (``notebooks/``,
``developers.md``, ``architecture.md``), and these links are turned into links to those pages.

nbconvert's page template carries a MathJax loader and a Mermaid loader that would fetch from a CDN. The
notebooks hold no formulas in TeX and no diagrams, so the scripts do nothing; removing them keeps every page
of the site free of addresses outside it, which a test checks.
"""

import re

#: the scripts of nbconvert's template: an empty MathJax source, its configuration, and the Mermaid loader
UNUSED = re.compile(r'<script src=""> </script>|<script type="text/x-mathjax-config">.*?</script>'
                    r'|<script type="module">(?:(?!</script>).)*?cdnjs\.cloudflare\.com.*?</script>', re.S)


#: a link to a file of the repository, from a page of docs/, and the site's page made of it
CODE_HOST = {"](../notebooks/": "](notebooks/", "](../DEVELOPERS.md": "](developers.md",
             "](../README.md#how-it-is-built)": "](architecture.md)"}


def on_page_markdown(markdown: str, page, config, files) -> str:
    """A page of docs/ with its links to the repository's files made links to the site's pages of them."""
    if "/" in page.file.src_uri:  # a generated page: written with the site's links
        return markdown
    for host, site in CODE_HOST.items():
        markdown = markdown.replace(host, site)
    return markdown


def on_post_page(output: str, page, config) -> str:
    """The page's HTML, without nbconvert's unused loaders when the page is a notebook."""
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    return UNUSED.sub("", output)

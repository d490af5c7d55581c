"""Small focused readers for article pages, each taking one field from a parsed HTML tree.

`transforms.parsers.article.parse_article` ties them together; each module here is
pure (tree in, values out) so it can be tested and improved on its own.
"""

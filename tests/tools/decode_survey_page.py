#!/usr/bin/env python3
"""Checks a running node's survey page with decoders independent of the service's
own: Python's gzip (zlib) and, when installed (`pip install brotli`), Google's brotli.
Each coding must decode to the uncompressed page but its nonce and issue time.

Usage: decode_survey_page.py SURVEY_URL
"""
import gzip
import re
import sys
import urllib.request


def fetch(url, accept):
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept})
    with urllib.request.urlopen(request) as response:
        return response.headers.get("Content-Encoding"), response.read()


def normalised(html):
    return re.sub(rb'name="(_nonce|_issued)" value="[^"]*"', rb'name="\1" value=""', html)


def main(url):
    coding, plain = fetch(url, "identity")
    assert coding is None, coding
    coding, body = fetch(url, "gzip")
    assert coding == "gzip", coding
    assert normalised(gzip.decompress(body)) == normalised(plain), "gzip differs"
    print(f"gzip: {len(body)} bytes on the wire, {len(plain)} decoded: ok")
    try:
        import brotli
    except ImportError:
        print("br: not checked (pip install brotli)")
        return
    coding, body = fetch(url, "br")
    assert coding == "br", coding
    assert normalised(brotli.decompress(body)) == normalised(plain), "br differs"
    print(f"br: {len(body)} bytes on the wire: ok")


if __name__ == "__main__":
    main(sys.argv[1])

"""``kubeward fix``: the edits that checks attach to findings, applied to
plain data (:mod:`kubeward.fix.jsonpatch`, also as RFC 6902 JSON Patch for
the admission webhook) and to files while keeping their layout
(:mod:`kubeward.fix.rewrite`)."""

"""Web Access Control: which access modes an agent has on a resource.

- `access_control.AccessControl`: the questions the request path asks (modes, authorize, WAC-Allow).
- `requirements.requirements_for`: the modes each HTTP method needs, and on which resources.
- `discovery`: which ACL document governs a resource; parsed documents cached by ETag.
- `authorizations`: ACL documents read into authorizations.
- `groups`: acl:agentGroup membership, local or remote.
- `origins`: browser origins and the trusted-apps seam.
- `templates`: the default ACL documents in the top-level `acl/` folder.
"""

"""Web Access Control: which access modes an agent has on a resource."""

"""The kernel: who may do what (permissions), on which object (scope), in which project state
(lifecycle), and how a refusal is told (domain errors)."""

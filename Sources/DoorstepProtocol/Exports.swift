/// The reply values (Reply, JSON, ControlError, text tables) are the protocol's vocabulary.
@_exported public import DoorstepValues

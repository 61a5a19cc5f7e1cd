import EmergenciesPlugin
import HooksPlugin
import PluginAPI
import ProbePlugin
import ReadingPromotionPlugin
import RosterPlugin
import SuppliesPlugin
import VisitsPlugin

/// The one list of plugins linked into doorstepd. `[plugins.NAME] enabled = false` in the
/// config leaves one out; a plugin with `enabledByDefault == false` needs `enabled = true`.
let builtInPlugins: [any DoorstepPlugin.Type] = [
    RosterPlugin.self,
    VisitsPlugin.self,
    SuppliesPlugin.self,
    ReadingPromotionPlugin.self,
    ProbePlugin.self,
    EmergenciesPlugin.self,
    // The hooks service ([[hooks]]): last, so it reacts to everything the others commit.
    HooksPlugin.self,
]

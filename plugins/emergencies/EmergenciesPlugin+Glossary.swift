/// Chinese labels for the keys of this plugin's replies (`hello lang=zh-CN`); keys shared with
/// other commands (`household`, `name`, `at`…) are the core's (`Glossary.chinese`).
extension EmergenciesPlugin {
    public static let glossaryZh: [String: String] = [
        "gate": "门岗", "incident": "事件编号", "step": "步骤", "hospital": "医院",
        "holder": "钥匙保管人", "incidents": "紧急事件", "out_of_order": "顺序异常", "shift": "班次",
        "paged": "已呼叫", "n": "序", "label": "名称", "known": "已登记", "figures": "数字",
        "escalated": "已升级", "nobody": "无人", "left_open": "未完成", "late": "迟到",
        "gate_s": "开门秒数", "forced": "强制", "flags": "提醒", "duty_phone": "值班电话",
        "close_s": "结案秒数", "close": "结案", "caller": "来电人", "ambulance_s": "救护车秒数",
        "address": "地址", "ack_s": "响应秒数", "ack": "响应", "who": "谁", "which": "哪个",
        "what": "什么", "warnings": "警告", "unknown_households": "未登记户",
        "unacknowledged": "未响应", "timer": "计时", "timeline": "时间线", "steps": "步骤",
        "reached": "已联系上", "pregnant": "孕妇", "plans": "预案", "plan_due_within_days": "预产期天数",
        "owner": "负责人", "open_incidents": "未结事件", "oncall": "值班", "of": "共",
        "now": "现在", "next_phone": "下一个电话", "next_from": "下一班起", "median_seconds": "中位秒数",
        "max_seconds": "最长秒数", "leader_phone": "楼长电话", "incidents_unacknowledged": "未响应事件",
        "incidents_open": "未结事件", "holder_phone": "保管人电话", "gates": "门岗",
        "escalations": "升级", "escalation": "升级", "acknowledged_by": "响应人",
        "acknowledged": "已响应", "checklist": "清单", "by_outcome": "按结果", "by_kind": "按类型",
        "ambulance": "救护车", "after": "之后",
    ]
}

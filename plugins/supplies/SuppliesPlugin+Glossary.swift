/// Chinese labels for the keys of this plugin's replies (`hello lang=zh-CN`); keys shared with
/// other commands (`household`, `name`, `at`…) are the core's (`Glossary.chinese`).
extension SuppliesPlugin {
    public static let glossaryZh: [String: String] = [
        "balance_fen": "余额（分）", "fen": "分", "purpose": "用途", "on_hand": "库存",
        "low": "库存下限", "voids": "作废", "delivered": "已送达", "stock_low": "库存不足",
        "run": "配送批次", "donor": "捐赠人", "requests_opened": "新开申请",
        "requests_delivered": "已送达申请", "needed_by": "需要时间", "load_units": "装载量",
        "load": "装载", "delta": "变化", "consent": "同意公开", "cash_out": "支出", "cash_in": "收入",
        "assignee": "负责人", "voided": "已作废", "urgent": "紧急", "stops": "站点",
        "stock_low_items": "库存不足物资", "spent_fen": "支出（分）", "spent": "支出",
        "spending": "支出", "source": "来源", "skipped_count": "跳过数", "reserved": "已预留",
        "requests_open": "未结申请", "requests_funnel": "申请漏斗", "received_fen": "收入（分）",
        "received": "已收到", "open_requests": "未结申请", "open_by_age": "未结按时长",
        "normal": "普通", "medicine": "药品", "history": "历史", "high": "高", "heating": "取暖",
        "food": "食品", "flag": "标记", "entry": "记录", "donations": "捐赠", "delivered_count": "送达数",
        "currency": "币种", "change": "变更", "cash_out_fen": "支出（分）", "cash_in_fen": "收入（分）",
        "balance_yuan": "余额（元）", "available": "可用", "assigned": "已分派", "anonymise": "匿名",
        "amount_fen": "金额（分）", "age_hours": "已等小时",
    ]
}

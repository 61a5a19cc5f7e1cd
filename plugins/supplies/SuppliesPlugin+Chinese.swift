/// `help` in Chinese (`hello lang=zh-CN`).
extension SuppliesPlugin {
    public static let summariesZh: [String: String] = [
        "supplies.request.add": "为一户登记物资需求",
        "supplies.request.edit": "送出前修改需求的物品、优先级、期限或备注",
        "supplies.request.assign": "把需求分派给某人（预留库存）",
        "supplies.request.dispatch": "标记需求已出发配送",
        "supplies.request.deliver": "送达全部物品，或 items=物品:数量;… 部分送达",
        "supplies.request.cancel": "取消需求",
        "supplies.requests": "物资需求，最紧急、最早的在前，含等待时长",
        "supplies.request": "一项需求及其全部记录",
        "supplies.stock.receive": "入库",
        "supplies.stock.adjust": "更正库存（盘点、损耗）",
        "supplies.stock": "库存、已为分派需求预留、可用",
        "supplies.stock.moves": "库存卡：每次入库、出库、调整及结存",
        "supplies.donation.add": "登记一笔现金捐赠（精确到分）",
        "supplies.donation.void": "冲销误录的捐赠（冲正分录，不删除）",
        "supplies.cash.spend": "登记一笔支出；结余不会小于零",
        "supplies.ledger": "每笔现金收支及结余",
        "supplies.ledger.public": "可向社区公示的收支明细",
        "supplies.stock.threshold": "物资降到此数量时发布 supplies.stock.low",
        "supplies.run.plan": "按走访顺序排列的配送单，含装车清单",
        "supplies.run.done": "送达一趟配送中所有能送达的需求",
        "supplies.report": "每日汇总：需求、送达、按时长未完成、库存不足、现金",
    ]
}

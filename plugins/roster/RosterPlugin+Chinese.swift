/// `help` in Chinese (`hello lang=zh-CN`).
extension RosterPlugin {
    public static let summariesZh: [String: String] = [
        "roster.import": "从 CSV 正文导入居民（UTF-8、GB18030 或 UTF-16；中文或英文表头）",
        "roster.households": "按走访顺序列出住户",
        "roster.household": "一户：居民、标签、楼栋长",
        "roster.household.add": "添加一户（暂无居民，如空置房）",
        "roster.resident.add": "为一户添加居民",
        "roster.resident.update": "修改居民信息（new_name 改名）",
        "roster.resident.remove": "删除一名居民",
        "roster.export": "导出花名册 CSV，供 Excel/WPS 打开（UTF-8 BOM、CRLF，可再导入）",
        "roster.stats": "楼栋、户数、人数、各标签人数",
        "roster.leader.assign": "指定楼栋长及其负责的楼栋",
        "roster.leaders": "楼栋长及其楼栋",
        "roster.leader.for": "这一户该联系谁",
    ]
}

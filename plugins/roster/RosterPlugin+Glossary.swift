/// Chinese labels for the keys of this plugin's replies (`hello lang=zh-CN`); keys shared with
/// other commands (`household`, `name`, `at`…) are the core's (`Glossary.chinese`).
extension RosterPlugin {
    public static let glossaryZh: [String: String] = [
        "vacant": "空置", "leaders": "楼栋长", "sex": "性别", "id_number": "身份证号",
        "birth_year": "出生年份", "org": "单位", "vacant_households": "空置户", "took": "用时",
        "replace": "替换", "new_vacant": "新空置", "new_name": "新姓名", "mode": "方式",
        "keep_id_numbers": "保留身份证号", "filled_down": "向下填充", "fill_down": "向下填充",
        "csv": "CSV", "converted_from": "转换自", "activity": "活动", "headers": "表头",
        "prefix": "前缀", "from_leads_nothing": "无对应", "rejected": "被拒行",
    ]
}

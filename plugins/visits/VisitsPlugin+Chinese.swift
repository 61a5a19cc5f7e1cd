/// `help` in Chinese (`hello lang=zh-CN`).
extension VisitsPlugin {
    public static let summariesZh: [String: String] = [
        "visits.campaign.start": "开始一轮排查，覆盖所选楼栋的每一户",
        "visits.campaign.list": "各轮排查及进度",
        "visits.campaign.close": "结束一轮排查",
        "visits.assign": "把一栋楼分派给走访人员",
        "visits.worklist": "尚未走访的住户，复访优先，按走访顺序",
        "visits.record": "登记一次走访及发现的需求",
        "visits.revisits": "需要再次敲门的住户及次数",
        "visits.needs": "走访中发现的需求",
        "visits.need.resolve": "关闭一项需求",
        "visits.coverage": "已走访、未联系上、登记人数，能否按期完成",
        "visits.report": "向上级报送的每日汇总，含每轮进行中排查的数字",
        "visits.followups": "需要回访的住户：拒绝配合，或有未解决的需求",
        "visits.tests.import": "将“大数据”未检测名单（CSV：姓名[,户号]）与花名册比对",
        "visits.test.record": "登记检测：户号（全户）、户号/姓名 或 姓名",
        "visits.untested": "某时以来有居民未检测的住户；谁需要陪同",
        "visits.tests.coverage": "某时以来各楼栋的检测人数",
    ]
}

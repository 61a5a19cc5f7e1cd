/// Chinese labels for the keys of this plugin's replies (`hello lang=zh-CN`); keys shared with
/// other commands (`household`, `name`, `at`…) are the core's (`Glossary.chinese`).
extension VisitsPlugin {
    public static let glossaryZh: [String: String] = [
        "campaign": "排查轮次", "campaigns": "排查轮次", "visited": "已走访", "refused": "拒绝",
        "people": "人数", "needs_open": "未结需求", "by_building": "按楼栋", "untested": "未检测",
        "tested": "已检测", "open_needs": "未结需求", "households_visited": "已走访户",
        "households_total": "总户数", "followups": "回访", "waiting_hours": "等待小时",
        "visits": "走访", "unknown": "未知", "tests": "检测", "testing_percent": "检测率",
        "testing": "检测", "target": "目标", "site": "检测点", "revisits_outstanding": "待复访",
        "revisits": "复访", "resolved": "已解决", "residents_tested_today": "今日检测人数",
        "residents_tested": "已检测人数", "residents_flagged_untested": "标记未检测",
        "residents_counted": "登记人数", "reopened": "重新打开", "reopen_note": "重开说明",
        "people_counted_total": "累计登记人数", "people_counted_today": "今日登记人数",
        "people_counted": "登记人数", "overlap": "重叠", "on_track": "按期", "new_needs": "新需求",
        "needs_resolved_today": "今日解决需求", "needs_resolved": "已解决需求",
        "needs_opened": "新开需求", "needs_open_by_age": "未结需求按时长", "matched": "已匹配",
        "latest_visit": "最近走访", "last_at": "最近时间", "households_visited_total": "累计走访户",
        "households_visited_today": "今日走访户", "households_refused_today": "今日拒绝户",
        "households_refused": "拒绝户", "households_not_reached": "未联系上户", "flagged": "已标记",
        "expected_by_now": "按计划应走访", "escort": "陪同", "coverage_percent": "覆盖率",
        "campaign_visited": "本轮已走访", "campaign_households": "本轮户数", "ambiguous": "有歧义",
        "also": "另有", "started": "开始",
    ]
}

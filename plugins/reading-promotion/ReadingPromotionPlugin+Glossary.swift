/// Chinese labels for the keys of this plugin's replies (`hello lang=zh-CN`); keys shared with
/// other commands (`household`, `name`, `at`…) are the core's (`Glossary.chinese`).
extension ReadingPromotionPlugin {
    public static let glossaryZh: [String: String] = [
        "channels": "渠道", "series": "系列", "audience": "对象", "post": "推送", "posts": "推送",
        "published": "已发布", "attendance": "出席", "registration": "报名", "waitlisted": "候补",
        "waitlist": "候补名单", "url": "链接", "scheduled": "计划时间", "registrations": "报名",
        "registered": "已报名", "capacity": "名额", "link": "链接", "invitations": "邀请",
        "contact": "联系方式", "cadence": "频率", "body": "正文", "remind_at": "提醒时间",
        "published_at": "发布时间", "promoted": "已转正", "max_title": "标题上限", "max_body": "正文上限",
        "final": "最终", "failures": "失败", "failed_now": "本次失败", "ends": "结束",
        "due_now": "现在到期", "due_at": "到期时间", "cancelled_at": "取消时间",
        "cancel_reason": "取消原因", "attended": "已出席", "upcoming": "即将", "start": "开始",
        "retried": "已重试", "reminder_lead": "提前提醒", "reminded_at": "提醒于", "remind": "提醒",
        "registered_at": "报名时间", "published_by": "发布人", "publish_failures": "发布失败",
        "promoted_at": "转正时间", "posts_pushed_total": "累计推送", "posts_pushed": "推送数",
        "posts_failed": "推送失败", "posts_due": "待推送", "posts_by_channel": "各渠道推送",
        "position": "位置", "past": "已过", "number": "号", "no": "号", "next_due": "下次到期",
        "last_error": "最近错误", "duration": "时长", "created": "创建", "cancelled_events": "已取消活动",
        "failed_at": "失败时间", "force": "强制",
    ]
}

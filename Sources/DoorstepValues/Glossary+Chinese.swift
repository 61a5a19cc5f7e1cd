/// The core's Chinese words: keys many commands share and the core commands' own, and the
/// final lines every plugin uses. Plugins add theirs (`DoorstepPlugin.glossaryZh`).
extension Glossary {
    public static let chinese = Glossary(labels: [
        // Shared by many commands.
        "id": "编号", "seq": "序号", "name": "姓名", "names": "姓名", "count": "数量", "status": "状态",
        "at": "时间", "time": "时间", "date": "日期", "by": "操作人", "note": "备注", "notes": "备注",
        "kind": "类型", "reason": "原因", "reasons": "原因", "from": "从", "to": "到", "since": "起始",
        "until": "截止", "open": "未结", "opened": "开启", "closed": "已关闭", "cancelled": "已取消",
        "household": "户号", "households": "户数", "building": "楼栋", "buildings": "楼栋",
        "unit": "单元", "floor": "楼层", "room": "房号", "resident": "居民", "residents": "居民",
        "phone": "电话", "phones": "电话", "tags": "标签", "tag": "标签", "leader": "楼长",
        "event": "事件", "events": "事件", "line": "行", "detail": "详情", "text": "内容",
        "total": "合计", "percent": "百分比", "day": "日", "days": "天", "last": "最近",
        "next": "下一个", "first": "首个", "error": "错误", "outcome": "结果", "attempts": "尝试次数",
        "attempt": "第几次", "role": "角色", "user": "用户", "group": "组", "format": "格式",
        "added": "新增", "updated": "已更新", "removed": "已删除", "changed": "已更改",
        "unchanged": "未变", "rejected": "被拒", "problems": "问题", "rows": "行数", "column": "列",
        "field": "字段", "value": "值", "key": "键", "plan": "预案", "channel": "渠道",
        "title": "标题", "priority": "优先级", "category": "类别", "item": "物资", "items": "物资",
        "quantity": "数量", "qty": "数量", "amount": "金额", "balance": "余额", "need": "需求",
        "needs": "需求", "request": "申请", "requests": "申请", "visitor": "走访人", "age": "年龄",
        "due": "到期", "deadline": "截止", "started": "开始", "done": "完成", "ok": "正常",
        "remaining": "剩余", "skipped": "跳过", "failed": "失败", "pending": "待办", "running": "运行中",
        "hook": "钩子", "hooks": "钩子", "exit": "退出码", "ms": "毫秒", "seconds": "秒",
        // Core commands: hello, help, commands, status, plugins, state.*.
        "command": "命令", "summary": "说明", "summary_zh": "中文说明", "example": "示例", "usage": "用法",
        "arguments": "参数", "plugin": "插件", "plugins": "插件", "proto": "协议", "daemon": "守护进程",
        "version": "版本", "capabilities": "能力", "lang": "语言", "uid": "用户号", "pid": "进程号",
        "limits": "限制", "uptime_seconds": "运行秒数", "connections": "连接", "state": "状态",
        "enabled": "启用", "journal_bytes": "日志字节", "segments": "日志段", "snapshots": "快照",
        "fsync": "同步模式", "sync_ms": "同步毫秒", "oldest_seq": "最早序号", "bytes": "字节",
        "files": "文件", "data": "数据", "patterns": "订阅", "description": "描述", "type": "类型",
        "required": "必填", "positional": "位置参数", "namespace": "命名空间", "socket": "套接字",
        "zone": "时区", "offset": "时差", "accepted": "已接受", "refused": "拒绝", "limit": "上限",
        "started_at": "启动时间", "config": "配置", "dir": "目录", "max": "上限", "durable_seq": "已落盘序号",
        "batches": "批次", "last_sync_micros": "最近同步微秒", "events_since_snapshot": "快照后事件",
        "write_failures": "写入失败", "last_write_error": "最近写入错误", "last_snapshot": "最近快照",
        "reactions": "反应", "changes": "变更", "max_line_bytes": "行字节上限", "max_body_bytes": "正文字节上限",
        "idle_timeout_seconds": "空闲超时秒", "role_needed": "所需角色",
    ], messages: [
        "ok": "完成", "pong": "pong", "hello": "你好", "reloaded": "已重新加载配置",
        "nothing to change": "没有需要更改的", "daily report": "每日报告", "hanging": "挂起中",
    ])
}

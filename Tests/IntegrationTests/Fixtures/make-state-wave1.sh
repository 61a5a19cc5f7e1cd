#!/bin/bash
# Writes the state-wave1 fixture with binaries of release 0.1.0 (see README.md).
#   make-state-wave1.sh [BIN_DIR] [OUT_DIR]     defaults: /work/base-bin, ./state-wave1.new
# Phase A is recorded, then `state.snapshot`, then phase B; the daemon is then killed with
# SIGKILL so that phase B stays in the journal as records after the snapshot.
set -euo pipefail
BIN=${1:-/work/base-bin}
OUT=${2:-$(pwd)/state-wave1.new}
W=$(mktemp -d /tmp/wave1-gen-XXXXXX)
S=$W/d.sock; D=$W/state
cat > $W/roster.csv <<'CSV'
﻿楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注
1,1,101,王建国,13812345678,1948,男,elderly-alone;chronic-illness,"独居, 高血压, 每周送药"
1,1,102,李秀英,13900001111,1952,女,,
1,1,102,张志强,13900002222,1950,男,needs-medicine,糖尿病
1,1,201,刘芳,15800003333,1993,女,pregnant:2027-03-15,预产期三月
1,1,201,陈伟,15800004444,1990,男,,
1,1,201,陈小宝,,2025,男,infant,
1,1,202,,,,,,
1,2,101,赵桂兰,13700005555,1938,女,elderly-alone,"子女在外地, 电话联系"
1,2,102,孙磊,18600006666,1985,男,migrant-tenant,租户
1,2,102,孙娜,18600007777,1987,女,migrant-tenant,
2,1,101,周淑珍,13600008888,1945,女,elderly-alone;disabled,需要轮椅
2,1,102,吴勇,13500009999,1978,男,,
2,1,102,吴杰,,2012,男,child,
2,1,102,郑丽,13500001010,1980,女,,
2,1,201,欧阳明,13312340000,1960,男,chronic-illness,
2,1,202,马秀英,17712345678,1942,女,elderly-alone,耳背 敲门要大声
2,2,101,黄涛,18912340001,1988,男,,
2,2,101,黄静,18912340002,1990,女,pregnant:2027-01-20,
2,2,102,林平,15012340003,1970,男,disabled,
3,1,101,何超,13012340004,1995,男,,
3,1,101,何敏,13012340005,1996,女,,
3,1,101,何欣,,2020,女,child,
3,1,102,郭霞,13112340006,1955,女,needs-medicine,降压药
3,1,201,罗军,13212340007,1968,男,,
3,1,201,罗艳,13212340008,1970,女,,
3,1,202,诸葛亮,13412340009,1940,男,elderly-alone,"独居, 子女每月来一次"
3,2,101,司马娟,14712340010,1983,女,,
3,2,101,高洋,14712340011,1982,男,,
3,2,102,徐桂兰,15112340012,1936,女,elderly-alone;disabled;chronic-illness,卧床
3,2,201,朱强,15212340013,1975,男,migrant-tenant,
CSV
printf '[plugins.probe]\nenabled = true\n' > $W/doorstep.toml
$BIN/doorstepd --config $W/doorstep.toml --socket $S --state-dir $D > $W/stdout.log 2> $W/stderr.log &
PID=$!
for i in $(seq 1 100); do [ -S $S ] && $BIN/doorstepctl --socket $S ping >/dev/null 2>&1 && break; sleep 0.1; done
c() { # one command; abort unless it succeeds
  local out
  if ! out=$($BIN/doorstepctl --socket $S "$@" 2>&1); then echo "FAILED: $* -> $out" >&2; kill -9 $PID; exit 1; fi
  echo "> $* : $(echo "$out" | tail -1)"
}
waitfor() { # waitfor COMMAND... -- GREP: poll until the reply matches
  local pat="${@: -1}"; set -- "${@:1:$#-1}"
  for i in $(seq 1 100); do
    if $BIN/doorstepctl --socket $S --json "$@" | grep -q -- "$pat"; then return 0; fi; sleep 0.05
  done
  echo "TIMEOUT waiting for $* ~ $pat" >&2; kill -9 $PID; exit 1
}

### Phase A: before the snapshot
c --data $W/roster.csv roster.import format=csv
c roster.household.add 3-2-202
c roster.leader.assign 刘敏 buildings=1,2 phone=13700001234 org=省图书馆 kind=cadre
c roster.leader.assign 王强 buildings=3 phone=13700005678 org=社区居委会 kind=volunteer
c roster.resident.add 3-2-201 name="朱 小红" phone=15212340014 birth_year=1978 sex=女 note="夫妻, 在外务工返乡"
c visits.campaign.start 敲门行动 deadline=2030-01-01T00:00+08:00
c visits.assign building=1 visitor=刘敏
c visits.assign building=2 visitor=张伟
c visits.assign building=3 visitor=王强
c visits.record 1-1-101 outcome=answered people=1 at=2022-01-10T18:05+08:00 needs="medicine:降压药;food:米面油" note="老人独居, 已留电话"
c visits.record 1-1-102 outcome=answered people=2 at=2022-01-10T18:12+08:00 needs="medicine:胰岛素"
c visits.record 1-1-201 outcome=answered people=3 at=2022-01-10T18:20+08:00 needs="medical:孕检;food:奶粉"
c visits.record 1-1-202 outcome=vacant at=2022-01-10T18:25+08:00
c visits.record 1-2-101 outcome=no-answer at=2022-01-10T18:40+08:00
c visits.record 1-2-102 outcome=answered people=2 at=2022-01-10T18:46+08:00
c visits.record 2-1-101 outcome=answered people=1 at=2022-01-10T19:02+08:00 needs="escort:坐轮椅, 核酸需陪同" visitor=张伟
c visits.record 2-1-102 outcome=refused at=2022-01-10T19:10+08:00 note="不愿开门"
waitfor supplies.requests status=all '"need":5,'
c supplies.stock.receive 大米 qty=200 unit=kg source=government from=区政府
c supplies.stock.receive 食用油 qty=40 unit=L source=purchase
c supplies.stock.receive medicine qty=5 unit=份 source=donation from=益民药店
c supplies.stock.receive food qty=20 unit=份 source=donation from=爱心企业
c supplies.donation.add donor=省图书馆下沉干部 amount=2700 purpose=困难群众
c supplies.donation.add donor=匿名 amount=￥1,000.50 purpose=买菜
c probe.set 楼栋 1号楼
c probe.set greeting 你好，邻居
c probe.set count 3
c state.snapshot

### Phase B: after the snapshot (journal records only)
c visits.record 1-2-101 outcome=answered people=1 at=2022-01-11T09:30+08:00 needs="heating:暖气不热" note=第二次敲门
c visits.record 2-1-201 outcome=answered people=1 at=2022-01-11T09:45+08:00
c visits.record 2-1-202 outcome=no-answer at=2022-01-11T10:00+08:00
c visits.record 2-2-101 outcome=answered people=2 at=2022-01-11T10:15+08:00 needs="other:需要开具证明"
c visits.record 3-1-101 outcome=answered people=3 at=2022-01-11T14:00+08:00
c visits.record 3-1-102 outcome=answered people=1 at=2022-01-11T14:10+08:00 needs="medicine:降压药"
c visits.record 3-2-202 outcome=vacant at=2022-01-11T14:30+08:00
c visits.need.resolve 6 note=已联系社区医生 by=刘敏
waitfor supplies.requests status=all '"household":"3-1-102"'
c --data - visits.tests.import <<'CSV'
姓名,户号
王建国,1-1-101
李秀英,
何超,
张三,
CSV
c visits.test.record 1-1-201 at=2022-01-11T08:00+08:00 site=社区广场
c visits.test.record 1-1-101/王建国 at=2022-01-11T08:30+08:00 site=上门采样
c visits.test.record 诸葛亮 at=2022-01-11T09:00+08:00 site=上门采样
c supplies.request.assign 1 to=刘敏
c supplies.request.deliver 1 by=刘敏
waitfor visits.needs status=all '"id":1,"household":"1-1-101","category":"medicine","text":"降压药","opened":"[^"]*","status":"resolved"'
c supplies.request.assign 2 to=刘敏
c supplies.request.assign 4 to=刘敏
c supplies.request.cancel 5 reason=暖气已修好
c supplies.request.add 3-2-102 items="大米:10kg;食用油:2L" priority=urgent note="卧床老人, 送到门口"
c supplies.request.add 2-1-101 items="大米:5kg" priority=high
c supplies.request.assign 7 to=王强
c supplies.request.dispatch 7
c supplies.request.deliver 7 items=大米:4kg by=王强
c supplies.request.assign 8 to=张伟
c supplies.run.plan building=1
c supplies.run.done 1 by=刘敏
waitfor visits.needs status=open '^{"tag":null,"ok":true,"code":200,"data":\[{"id":3,'
c supplies.stock.threshold 食用油 low=5
c supplies.stock.adjust 大米 delta=-3 reason=受潮
c supplies.cash.spend amount=350.5 purpose=降压药 request=1
c supplies.cash.spend amount=120 purpose=蔬菜
c probe.set count 4
c probe.set 备注 "敲门 行动"
c probe.del 楼栋
c roster.resident.update 1-1-201 刘芳 tags="pregnant:2027-03-18" note=预产期推迟
c visits.campaign.close 敲门行动
c visits.campaign.start 复查 deadline=2030-01-01T00:00+08:00 buildings=1,2
c visits.record 1-1-101 outcome=answered people=1 at=2022-01-12T10:00+08:00 note=复查正常
c visits.record 2-1-202 outcome=no-answer at=2022-01-12T10:20+08:00
c visits.record 2-1-202 outcome=no-answer at=2022-01-12T16:20+08:00
echo "last write done; pid $PID"
# Every write above was acknowledged, so it is durable (fsync = "always"). A clean stop would
# take a snapshot covering all of it; SIGKILL leaves phase B as journal records to replay.
kill -9 $PID
wait $PID 2>/dev/null || true
rm -f $D/lock
rm -rf "$OUT"; mkdir -p "$OUT"
cp -r $D/. "$OUT"/
chmod -R u+rwX,go+rX "$OUT"
echo "fixture written to $OUT:"; find "$OUT" -type f | sort | xargs ls -l
rm -rf "$W"

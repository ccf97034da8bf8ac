"""English for the score-sheet strings (scores.*, sheet.*), to merge into the catalog."""

EN = {
    "%(name)s 已签名": "Signed by %(name)s",
    "%(value)s 的小数超过两位：最多保留两位小数。": "%(value)s has more than two decimals: use at most two.",
    "%(value)s 超出范围：分数应在 0 到 100 之间。": "%(value)s is out of range: a score is between 0 and 100.",
    "“%(value)s”不是有效的数字。": "“%(value)s” is not a valid number.",
    "个人评分链接": "Personal score-sheet link",
    "保存纸质评分表": "Save the paper sheet",
    "党政正职评分表（表5）": "County heads' score sheet (form 5)",
    "原因最多 %(n)s 个字。": "The reason may be at most %(n)s characters.",
    "县委书记、县长分别对每位班子成员打分，H 取两人评分的平均值。":
        "The county Party secretary and the county head each score every member; H is the average of their scores.",
    "县委书记、县长（表5）": "County Party secretary and county head (form 5)",
    "县级领导班子": "County leadership team",
    "取消": "Cancel",
    "只有管理员可以解除锁定。": "Only an administrator can unlock the inputs.",
    "姓名最多 40 个字，“%(name)s”太长。": "A name may be at most 40 characters; “%(name)s” is too long.",
    "尚无联系本县的市级领导（表4），L 分将缺失。":
        "No city leader linked to the county yet (form 4): L will be missing.",
    "尚未提交": "Not yet submitted",
    "尚未添加。": "None added yet.",
    "已提交": "Submitted",
    "已撤回": "Withdrawn",
    "已锁定": "Locked",
    "市级领导评分表（表4）": "City leader's score sheet (form 4)",
    "录入尚未锁定。": "The inputs are not locked.",
    "录入已经锁定。": "The inputs are already locked.",
    "录入已锁定，评分表不能再提交或修改。": "The inputs are locked: sheets can no longer be submitted or changed.",
    "录入已锁定：不再接受评分表、实绩与目标分或名单的修改。如需修改，请管理员先解除锁定。":
        "The inputs are locked: no change to score sheets, P/T or the roster is accepted. "
        "To change something, an administrator must unlock them first.",
    "录入纸质评分表": "Enter a paper sheet",
    "您没有在锁定前提交评分表。": "You did not submit a sheet before the inputs were locked.",
    "我的评分表": "My score sheets",
    "提交的评分表包含不属于本表的成员（%(fields)s），未保存任何内容。请重新打开链接填写。":
        "The sheet sent contains members that are not on it (%(fields)s); nothing was saved. "
        "Please open your link again and fill it in.",
    "撤回": "Withdraw",
    "撤回原因": "Reason for withdrawing",
    "撤回此评分人": "Withdraw this scorer",
    "操作": "Actions",
    "最近提交": "Last submitted",
    "本人在线签名": "Signed online by the scorer",
    "本县尚未导入班子成员名单，暂不能评分。": "The county's roster has not been imported yet; scoring is not possible.",
    "本表实名签署，不是匿名测评。": "This sheet is signed with your name; it is not anonymous.",
    "此链接只显示这一次：离开此页后无法再次查看。请现在打印或发送给本人；如遗失，可重新生成（旧链接随即失效）。":
        "This link is shown only once: it cannot be shown again after you leave this page. Print it "
        "or send it to the scorer now; if it is lost, make a new one (the old link then stops working).",
    "每位市级领导对本县打一个分，L 取各位领导评分的平均值。":
        "Each city leader gives the county one score; L is the average of the leaders' scores.",
    "没有名为“%(username)s”的评分人账号。": "There is no scorer account named “%(username)s”.",
    "没有找到您的评分表。请重新打开考核组发给您的个人评分链接，或登录后从“我的评分表”进入。":
        "Your score sheet was not found. Open the personal link the assessment team sent you again, "
        "or sign in and use “My score sheets”.",
    "没有需要您填写的评分表。": "There is no score sheet for you to fill in.",
    "添加后将显示此人的个人评分链接和二维码，仅显示一次，请当场打印或发送。":
        "After adding, the person's personal link and QR code are shown once only: print or send them right away.",
    "添加并生成链接": "Add and make the link",
    "添加评分人": "Add a scorer",
    "签名": "Signature",
    "签名“%(typed)s”与评分人姓名“%(name)s”不一致。请输入您本人的完整姓名。":
        "The signature “%(typed)s” does not match the scorer's name “%(name)s”. Type your own full name.",
    "签名并提交": "Sign and submit",
    "签名并提交修改": "Sign and submit the correction",
    "签名：请输入您的完整姓名": "Signature: type your full name",
    "类别": "Kind",
    "纸质评分表录入": "Entered from a paper sheet",
    "纸质评分表，由 %(who)s 录入": "Paper sheet, entered by %(who)s",
    "结果已进入审批流程，不能解除录入锁定。":
        "The results are in the approval chain; the inputs cannot be unlocked.",
    "考核组已撤回这份评分表，它不再计入考核结果。如有疑问请联系考核组。":
        "The assessment team has withdrawn this score sheet; it no longer counts. "
        "Contact the assessment team with any questions.",
    "考核组已锁定录入，评分表不能再修改。以下是已提交的内容。":
        "The assessment team has locked the inputs; the sheet can no longer be changed. This is what was submitted.",
    "职务最多 80 个字。": "A title may be at most 80 characters.",
    "联系本县的市级领导（表4）": "City leaders linked to the county (form 4)",
    "表5应由县委书记、县长两人评分，现有 %(n)s 人。":
        "Form 5 is scored by the two county heads (Party secretary and county head); there are %(n)s.",
    "解除锁定": "Unlock",
    "解除锁定的原因": "Reason for unlocking",
    "评分": "Scores",
    "评分人 %(name)s 已撤回，不能录入评分表。": "Scorer %(name)s has been withdrawn; no sheet can be entered.",
    "评分人 %(name)s 已撤回，不能生成新链接。": "Scorer %(name)s has been withdrawn; no new link can be made.",
    "评分人 %(name)s 已经撤回。": "Scorer %(name)s is already withdrawn.",
    "评分人账号（可选）": "Scorer account (optional)",
    "评分表": "Score sheet",
    "评分表已提交并签名，谢谢。截止锁定前，您可以重新打开此链接修改。":
        "Your sheet is signed and submitted, thank you. Until the inputs are locked you can open this link again to correct it.",
    "评分表已撤回": "Score sheet withdrawn",
    "评分表有 %(n)s 处需要修改，未保存任何内容。": "%(n)s fields of the sheet need correcting; nothing was saved.",
    "评分链接无效": "Invalid score-sheet link",
    "请先打开评分链接": "Open your score-sheet link first",
    "请填写分数。": "Enter a score.",
    "请填写撤回 %(name)s 的原因。": "Give the reason for withdrawing %(name)s.",
    "请填写解除锁定的原因。": "Give the reason for unlocking.",
    "请填写评分人姓名。": "Enter the scorer's name.",
    "请对本县领导班子打分：0 到 100 分，最多两位小数。":
        "Score the county's leadership team: 0 to 100, at most two decimals.",
    "请对每位班子成员打分：0 到 100 分，最多两位小数，每项必填。":
        "Score every member: 0 to 100, at most two decimals; every score is required.",
    "请按本人签名的纸质评分表逐项录入。保存后记为“纸质评分表”，签名人为 %(name)s，录入人记入审计日志。":
        "Type in each score from the paper sheet the scorer signed. It is saved as a paper sheet signed "
        "by %(name)s; who entered it is recorded in the audit log.",
    "请用手机扫描二维码，或打开下面的个人链接填写并签名。此链接仅供本人使用，请勿转交他人。":
        "Scan the QR code with your phone, or open the personal link below, to fill in and sign your sheet. "
        "The link is for you alone: do not pass it on.",
    "请签名：输入您的姓名 %(name)s。": "Sign: type your name, %(name)s.",
    "请选择评分人类别（市级领导或县委书记、县长）。":
        "Choose the kind of scorer (city leader, or county Party secretary / county head).",
    "返回评分录入": "Back to the scorers",
    "这个评分链接无法识别：可能不完整，或考核组已经为您生成了新链接（旧链接随即失效）。请使用最新的链接，或联系考核组。":
        "This score-sheet link is not recognised: it may be incomplete, or the assessment team has made "
        "you a new link (the old one then stops working). Use the newest link or contact the assessment team.",
    "重新生成链接（旧链接失效）": "Make a new link (the old one stops working)",
    "锁定后，评分表、实绩与目标分和名单都不能再修改。请在全部评分表收齐后、提出等次建议前锁定。":
        "Once locked, score sheets, P/T and the roster can no longer change. Lock after every sheet is in "
        "and before proposing grades.",
    "锁定录入": "Lock the inputs",
    "领导班子成员考核评分表": "Leadership team assessment score sheet",
}

"""English for the setup, roster and county-score pages (merged into the catalog by the lead)."""

EN = {
    "%(county)s %(year)s年度的考核已经存在，不能重复创建。":
        "The %(county)s %(year)s assessment already exists; it cannot be created twice.",
    "%(county)s「%(column)s」：%(problem)s": "%(county)s, “%(column)s”: %(problem)s",
    "%(field)s：不是数字：“%(value)s”。": "%(field)s: not a number: “%(value)s”.",
    "%(field)s：应为 %(low)s 到 %(high)s 的整数，实际为“%(value)s”。":
        "%(field)s: must be a whole number from %(low)s to %(high)s, got “%(value)s”.",
    "%(field)s：应大于 0 且不超过 %(max)s（即 %(pct)s），实际为“%(value)s”。":
        "%(field)s: must be above 0 and at most %(max)s (%(pct)s), got “%(value)s”.",
    "%(field)s：最多四位小数，实际为“%(value)s”。":
        "%(field)s: at most 4 decimals, got “%(value)s”.",
    "%(where)s：%(county)s %(year)s年度考核的录入已锁定，实绩和目标分不能再修改。":
        "%(where)s: the inputs of the %(county)s %(year)s assessment are locked; its P and T "
        "can no longer change.",
    "%(where)s：您的账号不能修改%(county)s的分数。":
        "%(where)s: your account may not change the scores of %(county)s.",
    "%(year)s年度 各县区实绩考核得分与目标管理得分":
        "%(year)s: performance (P) and target-management (T) scores of the counties",
    "%(year)s年度分数文件": "Score file for %(year)s",
    "— 请选择 —": "— choose —",
    "一般": "base",
    "一般比例": "base ratio",
    "上一年（%(y)s）": "Previous year (%(y)s)",
    "上传 Excel (.xlsx) 或 CSV 文件，列为：县区、实绩考核得分、目标管理得分（两个分数列可只有一列）。空白单元格不修改该分数。文件有任何错误时不导入任何内容。":
        "Upload an Excel (.xlsx) or CSV file with the columns 县区 (county), 实绩考核得分 (P) "
        "and 目标管理得分 (T); one of the two score columns may be left out. A blank cell leaves "
        "that score as it is. If the file has any error, nothing is imported.",
    "上传 Excel (.xlsx) 或 CSV 文件，列为：姓名、职务、分管工作、排序（姓名、职务必填）。上传后整体替换现有名单；文件有任何错误时不作任何修改。":
        "Upload an Excel (.xlsx) or CSV file with the columns 姓名 (name), 职务 (position), "
        "分管工作 (portfolio), 排序 (order); name and position are required. The file replaces "
        "the whole roster; if it has any error, nothing changes.",
    "上传并替换名单": "Upload and replace the roster",
    "上年名次": "Place last year",
    "上调": "raised",
    "下调": "lowered",
    "下载模板（含本年度已有分数）：": "Download the template (with this year's scores so far): ",
    "下载模板：": "Download the template: ",
    "不支持旧版 Excel 文件“%(name)s”：请在 Excel 中另存为 .xlsx 或 .csv 后再上传。":
        "Old Excel files such as “%(name)s” are not supported: save it as .xlsx or .csv in "
        "Excel and upload that.",
    "不是数字：“%(value)s”。": "not a number: “%(value)s”.",
    "不限": "no limit",
    "两年 P 不全，按一般比例": "P missing in one of the two years: base ratio",
    "两年名次在后两位，下调": "in the last two places both years: lowered",
    "两年名次靠前，上调": "near the top both years: raised",
    "从文件导入": "Import from a file",
    "保存整张表": "Save the whole table",
    "保存设置": "Save settings",
    "保留小数位数": "Decimals published",
    "保留小数位数：%(message)s": "Decimals published: %(message)s",
    "其他县级干部人数": "Other assessed county cadres",
    "其他县级干部已评优秀人数": "Of them already graded Excellent",
    "分数与排名": "Scores and places",
    "分数没有变化。": "No score changed.",
    "切换": "Show",
    "创建": "Create",
    "创建后名单不能再修改。": "Once an evaluation exists the roster can no longer change.",
    "创建测评": "Create evaluation",
    "县区名称": "County name",
    "县区名称：“%(name)s”已经存在。": "County name: “%(name)s” already exists.",
    "县区名称：不能为空。": "County name: must not be empty.",
    "县区名称：不能超过 %(max)s 个字，现有 %(n)s 个字。":
        "County name: at most %(max)s characters, got %(n)s.",
    "县区名称：不能超过 60 个字，现有 %(n)s 个字。":
        "County name: at most 60 characters, got %(n)s.",
    "县区：所选县区不存在。": "County: the county chosen does not exist.",
    "县区：请选择已有县区，或输入新县区名称。": "County: choose a county or type a new one.",
    "县区：请选择已有县区，或输入新县区名称，二者只填一项。":
        "County: choose a county or type a new one, not both.",
    "名单中没有成员：列标题下面没有任何一行。":
        "The roster has no members: there is no row below the headings.",
    "名单为空：请先导入被考核成员名单，再创建测评。":
        "The roster is empty: import the members first, then create the evaluation.",
    "名单已导入：共 %(n)s 人。": "Roster imported: %(n)s members.",
    "名单文件": "Roster file",
    "名次按实绩考核得分 (P) 在全市排列，同分同名次。按第十三条默认规则：连续两年前 %(top)s 名的县区优秀比例上调为 %(raised)s，连续两年后 %(bottom)s 名的下调为 %(lowered)s，其余为 %(base)s。":
        "Places rank the city's counties by P; equal scores share a place. By the default "
        "rules of A13, a county in the top %(top)s two years running gets a raised Excellent "
        "ratio of %(raised)s, one in the last %(bottom)s places two years running a lowered "
        "ratio of %(lowered)s, the others %(base)s.",
    "如 0.18 或 18%%；大于 0，不超过 0.20。": "E.g. 0.18 or 18%%; above 0, at most 0.20.",
    "实绩考核得分 (P)": "Performance score (P)",
    "实绩考核得分 (P) 由市扶贫办提供，占 45%%；目标管理得分 (T) 由市督考办提供，占 20%%（第八条、第九条）。分数为 0–100，最多两位小数。":
        "The performance score (P) comes from the city Poverty Alleviation Office and weighs "
        "45%%; the target-management score (T) comes from the city Supervision Office and "
        "weighs 20%% (A8, A9). Scores are 0–100 with at most 2 decimals.",
    "导入": "Import",
    "导入名单": "Import the roster",
    "已保存：%(n)s 个县区的分数有变化。": "Saved: the scores of %(n)s counties changed.",
    "已导入：%(n)s 个县区的分数有变化。": "Imported: the scores of %(n)s counties changed.",
    "已导入：分数没有变化。": "Imported: no score changed.",
    "已有针对名单成员的评分或决定记录，名单不能再整体替换。":
        "Scores or decisions about the members exist; the roster can no longer be replaced.",
    "已添加县区：%(name)s。": "County added: %(name)s.",
    "年度：应为 2000 到 2100 之间的整数，实际为“%(value)s”。":
        "Year: must be a whole number from 2000 to 2100, got “%(value)s”.",
    "应在 0 到 100 之间，实际为“%(value)s”。": "must be between 0 and 100, got “%(value)s”.",
    "录入已锁定（或考核结果已进入审批），不能再创建测评。":
        "The inputs are locked (or the results are in the approval chain); no new evaluation "
        "can be created.",
    "录入已锁定（或考核结果已进入审批），名单不能再修改。":
        "The inputs are locked (or the results are in the approval chain); the roster can no "
        "longer change.",
    "录入已锁定（或考核结果已进入审批），设置不能再修改。":
        "The inputs are locked (or the results are in the approval chain); the settings can no "
        "longer change.",
    "您的账号只能为以下县区创建考核：%(names)s。":
        "Your account may create assessments only for: %(names)s.",
    "您的账号只能为所列县区创建考核。": "Your account may create assessments only for the counties listed.",
    "或输入新县区名称": "or type a new county",
    "按其他办法考核、与本班子成员合并计算优秀比例的县级干部（第十一条第六项）。":
        "County-level cadres assessed under another method and counted with the members for "
        "the Excellent quota (A11.6).",
    "按第十三条计算": "computed by A13",
    "按第十三条默认规则（按实绩考核得分排名），本县区本年度优秀比例为 %(ratio)s（%(basis)s）。":
        "By the default rules of A13 (ranking by P), this county's Excellent ratio for the "
        "year is %(ratio)s (%(basis)s).",
    "文件中没有数据行：列标题下面没有任何一行。":
        "The file has no data: there is no row below the headings.",
    "文件是空的。": "The file is empty.",
    "文件类型不支持：“%(name)s”。请上传 .xlsx 或 .csv 文件。":
        "File type not supported: “%(name)s”. Upload an .xlsx or .csv file.",
    "无法读取文件：CSV 文件的编码无法识别，请存为 UTF-8 或 GBK。":
        "Cannot read the file: unknown CSV encoding; save it as UTF-8 or GBK.",
    "无法读取文件：CSV 格式有误。": "Cannot read the file: the CSV is malformed.",
    "无法读取文件：不是文本格式的 CSV 文件。": "Cannot read the file: it is not a text CSV file.",
    "无法读取文件：不是有效的 Excel (.xlsx) 文件。":
        "Cannot read the file: it is not a valid Excel (.xlsx) file.",
    "最多两位小数，实际为“%(value)s”。": "at most 2 decimals, got “%(value)s”.",
    "未保存任何内容，请改正以下问题后重试：": "Nothing was saved. Correct these problems and try again:",
    "本年名次": "Place this year",
    "本年度考核": "This year's assessment",
    "本考核优秀比例": "The team's Excellent ratio",
    "本考核已创建测评，名单不能再修改（选票上的成员必须与名单一致）。":
        "An evaluation of this assessment exists; the roster can no longer change (ballots "
        "must list the same members).",
    "每张选票优秀票上限": "Most Excellent ratings per ballot",
    "每张选票优秀票上限（默认）": "Most Excellent ratings per ballot (default)",
    "测评类型": "Kind",
    "测评类型：请选择民主测评或个别谈话。":
        "Kind: choose democratic evaluation or individual interviews.",
    "添加": "Add",
    "添加县区": "Add a county",
    "清空单元格即删除该分数。任何一格有误时整张表都不保存。":
        "Emptying a cell removes that score. If any cell is wrong, nothing in the table is saved.",
    "留空：不限": "blank: no limit",
    "留空：按第十三条计算": "blank: computed by A13",
    "目标管理得分 (T)": "Target-management score (T)",
    "确定比例的理由": "Reason for the ratio",
    "确定比例的理由：不能超过 500 个字，现有 %(n)s 个字。":
        "Reason for the ratio: at most 500 characters, got %(n)s.",
    "确定比例的理由：自定优秀比例时必须填写理由（A13）。":
        "Reason for the ratio: required when the team sets its own ratio (A13).",
    "第%(row)s行": "Row %(row)s",
    "第%(row)s行「%(column)s」：%(problem)s": "Row %(row)s, “%(column)s”: %(problem)s",
    "第%(row)s行「%(column)s」：不能为空。": "Row %(row)s, “%(column)s”: must not be empty.",
    "第%(row)s行「%(column)s」：不能超过 %(max)s 个字，现有 %(n)s 个字。":
        "Row %(row)s, “%(column)s”: at most %(max)s characters, got %(n)s.",
    "第%(row)s行「县区」：“%(name)s”与第%(first)s行重复。":
        "Row %(row)s, “县区”: “%(name)s” repeats row %(first)s.",
    "第%(row)s行「县区」：不能为空。": "Row %(row)s, “县区”: must not be empty.",
    "第%(row)s行「县区」：没有名为“%(name)s”的县区（请先在本页添加县区）。":
        "Row %(row)s, “县区”: there is no county named “%(name)s” (add it on this page first).",
    "第%(row)s行「排序」：应为 1 到 %(max)s 的整数，实际为“%(value)s”。":
        "Row %(row)s, “排序”: must be a whole number from 1 to %(max)s, got “%(value)s”.",
    "第%(row)s行：列“%(heading)s”与“%(other)s”重复。":
        "Row %(row)s: column “%(heading)s” repeats “%(other)s”.",
    "第%(row)s行：未知的列“%(heading)s”（可用的列：%(names)s）。":
        "Row %(row)s: unknown column “%(heading)s” (known columns: %(names)s).",
    "第%(row)s行：缺少列“%(heading)s”。": "Row %(row)s: column “%(heading)s” is missing.",
    "第%(row)s行：至少需要以下一列：%(names)s。":
        "Row %(row)s: at least one of these columns is needed: %(names)s.",
    "第%(rows)s行「排序」：排序 %(order)s 重复。":
        "Rows %(rows)s, “排序”: order %(order)s appears more than once.",
    "第十三条优秀比例": "A13 Excellent ratio",
    "结束时间：%(value)s 已经过去，请填写将来的时间（北京时间）。":
        "Closing time: %(value)s has passed; give a future time (Beijing time).",
    "结束时间：格式应为“年-月-日 时:分”，实际为“%(value)s”。":
        "Closing time: expected “year-month-day hour:minute”, got “%(value)s”.",
    "考核年度": "Year",
    "考核设置": "Settings",
    "自动结束时间（北京时间，可不填）": "Closes automatically at (Beijing time, optional)",
    "行数过多：最多 %(max)s 行（不含列标题），第%(row)s行已超出。":
        "Too many rows: at most %(max)s (not counting the headings); row %(row)s is past that.",
    "设置已保存。": "Settings saved.",
    "设置没有变化。": "No setting changed.",
    "请选择要上传的名单文件（.xlsx 或 .csv）。": "Choose the roster file to upload (.xlsx or .csv).",
    "请选择要上传的文件（.xlsx 或 .csv）。": "Choose the file to upload (.xlsx or .csv).",
    "还没有县区。请先在下面添加县区。": "No counties yet. Add them below first.",
}

# ruff: noqa: E501 -- word lists; ruff counts each Chinese character as two columns
"""The directory benchmark's cities: the words its merchants are made of and the queries sent.

Wenzhou is the data the search was tuned on. Chengdu is another city for a check on data the
search was not tuned on: other districts and streets, other shop words (串串, 冒菜, 茶馆 …),
another share of each category, other surnames and brands, and another query mix — terms
with a category or district, pages further down, every offer listed, queries finding nothing.
"""

from dataclasses import dataclass

#: a query: (q, category, district, limit, offset)
Query = tuple[str, str | None, str | None, int, int]


def q(text: str = "", category: str | None = None, district: str | None = None,
      limit: int = 20, offset: int = 0) -> Query:
    return (text, category, district, limit, offset)


@dataclass(frozen=True)
class City:
    name: str
    #: what the address starts with (温州市)
    prefix: str
    area_code: str
    #: district → streets
    districts: dict[str, list[str]]
    #: category → shop words; a category listed twice is drawn twice as often
    kinds: dict[str, list[str]]
    category_weights: dict[str, int]
    surnames: str
    prefixes: list[str]
    brands: list[str]
    titles: list[str]
    #: kind → queries; every kind weighs the same in the mix
    queries: dict[str, list[Query]]


WENZHOU = City(
    name="wenzhou", prefix="温州市", area_code="0577",
    districts={
        "鹿城区": ["五马街", "解放街", "人民路", "车站大道", "府前街", "蒲鞋市路", "江滨路", "飞霞路",
                 "信河街", "大南路", "小南路", "锦绣路", "黎明路", "矮凳桥", "百里路"],
        "龙湾区": ["永中街道", "龙湾大道", "永宁西路", "机场大道", "蒲州街道", "状元街道", "瑶溪路"],
        "瓯海区": ["娄桥街道", "瓯海大道", "梧田街道", "茶山街道", "新桥街道", "南白象街道", "景山路"],
        "洞头区": ["北岙街道", "海霞路", "望海楼路", "东屏街道", "新城大道"],
        "乐清市": ["乐成街道", "柳市镇", "虹桥镇", "伯乐东路", "宁康西路", "清远路", "胜利塘路"],
        "瑞安市": ["安阳街道", "玉海街道", "罗阳大道", "万松路", "虹桥路", "塘下镇", "安福路"],
        "永嘉县": ["上塘镇", "瓯北街道", "县前路", "江北街道", "环城北路"],
        "平阳县": ["昆阳镇", "鳌江镇", "解放路", "城东路", "万全镇"],
        "苍南县": ["灵溪镇", "玉苍路", "江滨路", "宜山镇"],
        "龙港市": ["世纪大道", "人民路", "新城路", "龙翔路"],
    },
    kinds={
        "餐饮": ["火锅", "烧烤", "面馆", "小吃", "酒家", "茶餐厅", "饺子馆", "牛排馆", "咖啡", "奶茶",
               "海鲜大排档", "米线", "麻辣烫", "串串香", "生煎", "鱼丸店", "灯盏糕", "糯米饭"],
        "酒店": ["酒店", "宾馆", "大酒店", "民宿", "快捷酒店"],
        "零售": ["超市", "便利店", "水果店", "烟酒行", "母婴店", "眼镜店", "鞋业"],
        "娱乐": ["KTV", "网咖", "影城", "桌游吧", "台球俱乐部", "剧本杀"],
        "美容美发": ["美发", "理发店", "美容院", "美甲", "造型", "发艺"],
        "汽车服务": ["洗车", "汽修", "车行", "轮胎店", "汽车美容"],
        "教育培训": ["培训学校", "琴行", "画室", "英语", "跆拳道馆"],
        "医疗健康": ["大药房", "诊所", "口腔", "推拿", "体检中心"],
        "生活服务": ["干洗店", "家政", "开锁", "照相馆", "花店"],
    },
    category_weights={},  # every category alike
    surnames="王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余叶",
    prefixes=["老{s}", "小{s}", "阿{s}", "{s}记", "{s}氏", "{s}家", "{s}师傅", "{s}大姐"],
    brands=["好运来", "鑫源", "新世纪", "瓯江", "江心", "五马", "东方", "金华", "海韵", "永盛",
            "百福", "九山", "华盖", "松台", "温州人家", "同心", "盛世", "天天", "乐活", "悦享",
            "KFC", "米兰", "星光", "阳光", "如意", "福满楼", "一品", "顺发", "宏达", "红日"],
    titles=["会员{d}", "V卡专享{d}", "进店消费{d}", "周末特惠{d}", "新店开业{d}", "工作日午市{d}"],
    queries={
        "chinese 1-2": [q("锅"), q("火锅"), q("烧烤"), q("咖啡"), q("洗车"), q("美发"), q("茶"),
                        q("民宿")],
        "chinese 3+": [q("王记火锅"), q("五马街"), q("海鲜大排档"), q("快捷酒店"), q("阳光咖啡"),
                       q("好运来超市"), q("陈师傅"), q("解放街 烧烤")],
        "pinyin": [q("huoguo"), q("shaokao"), q("kafei"), q("xiche"), q("wangjihuoguo"),
                   q("wumajie"), q("jiudian"), q("naicha")],
        "initials": [q("hg"), q("sk"), q("kf"), q("wjhg"), q("lchg"), q("hylcs"), q("kjjd"),
                     q("xc")],
        "typo": [q("huaguo"), q("shaokai"), q("kafeii"), q("xichee"), q("huoguu"), q("jiudan"),
                 q("wumajii"), q("wangjihuaguo")],
        "category": [q("", "餐饮"), q("", "酒店"), q("", "美容美发"), q("", "汽车服务"),
                     q("", "零售", "鹿城区"), q("", "餐饮", "瑞安市"), q("", "娱乐"),
                     q("", "生活服务", "乐清市")],
    },
)

CHENGDU = City(
    name="chengdu", prefix="成都市", area_code="028",
    districts={
        "锦江区": ["春熙路", "红星路", "东大街", "水井坊", "合江亭", "书院街", "总府路", "盐市口"],
        "青羊区": ["宽窄巷子", "人民中路", "西御街", "草堂路", "琴台路", "金沙遗址路", "文殊院街"],
        "金牛区": ["一环路北段", "茶店子", "营门口路", "沙湾路", "交大路", "九里堤"],
        "武侯区": ["锦里", "科华北路", "玉林路", "倪家桥", "磨子桥", "芳草街", "棕北"],
        "成华区": ["建设路", "双林路", "万年场", "二仙桥", "猛追湾", "东郊记忆"],
        "高新区": ["天府大道", "天府三街", "桂溪", "芳草西街", "孵化园", "世纪城路"],
        "双流区": ["东升街道", "航空港", "华阳大道", "九江街道"],
        "郫都区": ["犀浦镇", "红光大道", "望丛路", "团结镇"],
        "温江区": ["光华大道", "凤溪大道", "柳城街道"],
        "龙泉驿区": ["龙泉街道", "驿都大道", "十陵街道", "大面街道"],
        "新都区": ["桂湖路", "大丰街道", "三河街道"],
        "都江堰市": ["幸福路", "灌口街道", "青城山镇"],
    },
    kinds={
        "餐饮": ["串串", "冒菜", "钵钵鸡", "兔头", "担担面", "肥肠粉", "麻辣烫", "火锅", "茶馆",
               "甜水面", "烤鱼", "中餐厅", "小面", "抄手", "蛋烘糕", "凉粉", "川菜馆", "干锅"],
        "酒店": ["客栈", "青年旅舍", "精品酒店", "宾馆", "度假酒店"],
        "零售": ["生鲜超市", "便利店", "烟酒店", "书店", "文具店", "数码店", "服装店", "茶叶店"],
        "娱乐": ["麻将馆", "KTV", "电玩城", "密室逃脱", "酒吧", "livehouse"],
        "美容美发": ["美发沙龙", "理发", "美甲", "采耳", "SPA", "纹绣"],
        "汽车服务": ["洗车行", "汽车维修", "贴膜", "改装店", "驾校"],
        "教育培训": ["舞蹈室", "书法", "少儿编程", "钢琴", "游泳馆"],
        "医疗健康": ["药房", "中医馆", "牙科", "足疗", "理疗"],
        "生活服务": ["洗衣", "搬家", "维修", "宠物店", "打印店", "裁缝"],
    },
    category_weights={"餐饮": 5, "娱乐": 2, "美容美发": 2, "零售": 2},
    surnames="何罗邓谭钟廖袁魏熊苟蒲税冉向杜胥甘蹇母敬雷文古黎",
    prefixes=["{s}记", "{s}姐", "{s}嬢嬢", "{s}幺妹", "老{s}家", "{s}胖子", "{s}三哥"],
    brands=["蜀香", "天府", "锦官城", "巴适", "川味坊", "熊猫", "太古", "宽窄", "锦里人家",
            "蓉城", "川西坝子", "小龙坎", "大龙燚", "玉林", "老码头", "一口香", "安逸",
            "STARBUCKS", "Manner", "九眼桥", "望江楼", "青城", "峨眉"],
    titles=["持卡{d}", "会员日{d}", "午市套餐{d}", "夜宵时段{d}", "V卡尊享{d}"],
    queries={
        "chinese 1-2": [q("串串"), q("面"), q("冒菜"), q("茶馆"), q("采耳"), q("兔"), q("酒吧"),
                        q("足疗")],
        "chinese 3+": [q("钵钵鸡"), q("春熙路"), q("宽窄巷子"), q("何记冒菜"), q("肥肠粉"),
                       q("密室逃脱"), q("锦官城火锅"), q("玉林路 小面")],
        "pinyin": [q("chuanchuan"), q("maocai"), q("chunxilu"), q("chaguan"), q("tutou"),
                   q("dandanmian"), q("kuanzhaixiangzi"), q("bobo")],
        "initials": [q("cc"), q("mc"), q("cxl"), q("bbj"), q("hj"), q("yll"), q("mj"), q("fcf")],
        "typo": [q("chuanchaun"), q("maocia"), q("chunxlu"), q("chaguann"), q("dandanmain"),
                 q("huoguoo"), q("bobojii"), q("kuanzhaixiangzy")],
        "text + filter": [q("火锅", district="锦江区"), q("串串", "餐饮"), q("xichehang", "汽车服务"),
                          q("mj", "美容美发", "武侯区"), q("酒店", district="高新区"),
                          q("面", "餐饮", "金牛区"), q("ktv"), q("starbucks")],
        "deeper pages": [q("火锅", offset=60), q("", "餐饮", offset=200), q("chuanchuan", offset=40),
                         q("mc", limit=50), q("", "娱乐", limit=100), q("茶", offset=20),
                         q("", None, "成华区", offset=100), q("兔头", limit=50, offset=50)],
        "lists": [q(), q("", None, "青羊区"), q("", "零售"), q("", "医疗健康", "双流区"),
                  q("", "生活服务"), q("", None, "都江堰市"), q("", "教育培训"), q("", "酒店", "锦江区")],
        "no match": [q("北京烤鸭"), q("zzqqxx"), q("shanghai"), q("鹿城区"), q("xyzxyzw"),
                     q("冰淇淋蛋糕"), q("qwrtp"), q("上海 外滩")],
    },
)

CITIES = {city.name: city for city in (WENZHOU, CHENGDU)}

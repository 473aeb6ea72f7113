"""Where the demo happens: five regions (大区) of southern China, their territories (片区) around
real cities, and the real neighbourhoods (a shopping street, a mall, a metro hub) stores cluster
around, with WGS-84 coordinates. `REGIONS` is parsed from the indented `GEOGRAPHY` table below.

Each territory says how many stores it has at scale 1 and how far they spread around each area:
less where the sea is close, so that no store lands in it. Also the two distance helpers the
other modules place and route with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    """A real neighbourhood stores cluster around (a shopping street, a mall, a metro hub)."""

    name: str
    district: str
    lat: float
    lon: float
    streets: tuple[str, ...]


@dataclass(frozen=True)
class TerritorySpec:
    code: str
    name: str
    city: str
    stores: int  # at scale 1
    sigma_m: float  # spread of stores around each area; small where the sea is close
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    province: str
    distributor: str  # the provincial distributor (省包商)
    territories: tuple[TerritorySpec, ...]


# Region: code name province provincial-distributor
#   Territory: code name city stores-at-scale-1 spread-of-stores-in-metres (small where the sea is near)
#     Area: name district latitude longitude streets (WGS-84, real neighbourhoods)
GEOGRAPHY = """
GD 广东大区 广东省 广东粤讯通信有限公司
  GZ-TH 广州天河片区 广州市 40 700
    天河城 天河区 23.1322 113.3232 天河路/体育东路
    体育西 天河区 23.1370 113.3210 体育西路/天河北路
    岗顶 天河区 23.1360 113.3420 天河路/石牌西路
    珠江新城 天河区 23.1195 113.3250 花城大道/珠江东路
    石牌桥 天河区 23.1330 113.3320 天河路/石牌东路
    车陂 天河区 23.1265 113.3985 中山大道西/车陂路
    员村 天河区 23.1235 113.3640 黄埔大道中/员村二横路
  GZ-YX 广州越秀片区 广州市 38 500
    北京路 越秀区 23.1262 113.2695 北京路/西湖路
    公园前 越秀区 23.1278 113.2645 中山五路/吉祥路
    东山口 越秀区 23.1240 113.2950 署前路/中山一路
    农林下路 越秀区 23.1290 113.2935 农林下路/东风东路
    上下九 荔湾区 23.1192 113.2465 上下九路/第十甫路
    江南西 海珠区 23.1040 113.2705 江南大道中/江南西路
    客村 海珠区 23.0960 113.3190 新港中路/艺苑路
  FS 佛山片区 佛山市 32 900
    祖庙 禅城区 23.0330 113.1120 祖庙路/人民路
    季华 禅城区 23.0030 113.1060 季华五路/汾江南路
    桂城 南海区 23.0400 113.1530 南海大道北/南桂东路
    千灯湖 南海区 23.0480 113.1460 灯湖东路/海八东路
    大良 顺德区 22.8400 113.2520 清晖路/东乐路
    乐从 顺德区 22.9560 113.1020 乐从大道/跃进路
  DG 东莞片区 东莞市 36 900
    东城 东城街道 23.0260 113.7700 东城中路/东纵大道
    南城 南城街道 23.0110 113.7420 鸿福路/宏图路
    莞城 莞城街道 23.0460 113.7500 西正路/运河东一路
    虎门 虎门镇 22.8180 113.6730 连升路/虎门大道
    长安 长安镇 22.8160 113.8050 长安中路/莲峰路
    常平 常平镇 22.9760 113.9920 常平大道/环站路
SZ 深圳大区 广东省 深圳鹏讯通讯有限公司
  SZ-FT 深圳福田罗湖片区 深圳市 38 600
    华强北 福田区 22.5460 114.0850 华强北路/深南中路
    车公庙 福田区 22.5385 114.0240 深南大道/泰然九路
    景田 福田区 22.5560 114.0440 景田路/商报路
    东门 罗湖区 22.5480 114.1200 东门中路/解放路
    国贸 罗湖区 22.5470 114.1180 人民南路/嘉宾路
    笋岗 罗湖区 22.5640 114.1000 宝安北路/笋岗东路
  SZ-NS 深圳南山宝安片区 深圳市 34 600
    科技园 南山区 22.5430 113.9530 科苑路/高新南一道
    南头 南山区 22.5430 113.9230 南头街/南新路
    西丽 南山区 22.5830 113.9560 西丽路/沙河西路
    宝安中心 宝安区 22.5600 113.8900 新湖路/创业一路
    西乡 宝安区 22.5790 113.8800 西乡大道/宝源路
    松岗 宝安区 22.7700 113.8450 松岗大道/沙江路
  SZ-LG 深圳龙华龙岗片区 深圳市 32 800
    龙华 龙华区 22.6560 114.0250 人民路/东环一路
    民治 龙华区 22.6230 114.0420 民治大道/民康路
    布吉 龙岗区 22.6020 114.1180 布吉路/吉华路
    横岗 龙岗区 22.6450 114.2080 龙岗大道/力嘉路
    龙岗中心城 龙岗区 22.7200 114.2480 龙翔大道/龙城大道
    坂田 龙岗区 22.6300 114.0650 坂雪岗大道/五和大道
GX 广西大区 广西壮族自治区 广西桂讯通讯有限公司
  NN-QX 南宁青秀片区 南宁市 30 800
    金湖广场 青秀区 22.8160 108.3800 民族大道/金湖路
    东盟商务区 青秀区 22.8240 108.3920 民族大道/金浦路
    琅东 青秀区 22.8190 108.4100 民族大道/云景路
    凤岭 青秀区 22.8280 108.4300 凤岭北路/佛子岭路
    南湖 青秀区 22.8080 108.3640 双拥路/南湖路
  NN-XX 南宁城西片区 南宁市 28 800
    朝阳广场 兴宁区 22.8175 108.3220 朝阳路/兴宁路
    西乡塘 西乡塘区 22.8390 108.3010 北湖北路/明秀东路
    广西大学 西乡塘区 22.8450 108.2880 大学东路/明秀西路
    江南万达 江南区 22.7920 108.3100 星光大道/亭洪路
    安吉 西乡塘区 22.8580 108.2930 安吉大道/秀厢大道
  LZ 柳州片区 柳州市 24 700
    五星街 城中区 24.3270 109.4110 五星街/中山中路
    谷埠街 城中区 24.3190 109.4180 文惠路/龙城路
    柳南 柳南区 24.3120 109.3880 航银路/柳石路
    柳北 柳北区 24.3600 109.4030 跃进路/雅儒路
    鱼峰 鱼峰区 24.3040 109.4300 荣军路/屏山大道
FJ 福建大区 福建省 福建闽讯通信有限公司
  FZ 福州片区 福州市 30 800
    东街口 鼓楼区 26.0860 119.2990 八一七北路/东街
    五四路 鼓楼区 26.0930 119.3060 五四路/湖东路
    台江万达 台江区 26.0660 119.3150 广达路/八一七中路
    金山 仓山区 26.0400 119.2780 金榕南路/建新路
    东二环 晋安区 26.0960 119.3330 福新东路/华林路
  XM 厦门片区 厦门市 28 500
    中山路 思明区 24.4580 118.0900 中山路/思明南路
    莲坂 思明区 24.4830 118.1250 嘉禾路/莲前西路
    SM城市广场 湖里区 24.5040 118.1320 嘉禾路/仙岳路
    火车站 思明区 24.4690 118.1150 厦禾路/湖滨东路
    湖里万达 湖里区 24.5060 118.1700 仙岳路/金山路
  QZ 泉州片区 泉州市 26 800
    中山路 鲤城区 24.9100 118.5860 中山中路/温陵路
    丰泽 丰泽区 24.9020 118.6100 丰泽街/泉秀路
    浦西万达 丰泽区 24.8900 118.6300 宝洲路/浦西路
    晋江 晋江市 24.7900 118.5750 泉安中路/阳光路
    石狮 石狮市 24.7310 118.6460 八七路/宝盖路
HI 海南大区 海南省 海南琼讯通信有限公司
  HK-LH 海口龙华片区 海口市 24 600
    国贸 龙华区 20.0230 110.3200 国贸大道/玉沙路
    金盘 龙华区 19.9980 110.3150 金盘路/南海大道
    海秀 龙华区 20.0180 110.3300 海秀中路/龙昆南路
    龙昆南 龙华区 20.0050 110.3260 龙昆南路/金牛路
  HK-ML 海口美兰琼山片区 海口市 22 600
    东湖 美兰区 20.0330 110.3500 海府路/白龙南路
    大英山 美兰区 20.0250 110.3550 海府路/和平南路
    白龙 美兰区 20.0300 110.3650 白龙北路/白龙南路
    府城 琼山区 19.9950 110.3480 文庄路/府城大道
  SY 三亚片区 三亚市 18 400
    解放路 天涯区 18.2530 109.5070 解放路/新建街
    河东 吉阳区 18.2480 109.5170 河东路/榆亚路
    吉阳 吉阳区 18.2720 109.5350 迎宾路/吉阳大道
    月川 天涯区 18.2650 109.5060 凤凰路/月川路
"""


def _parse_geography(text: str) -> tuple[RegionSpec, ...]:
    regions: list[tuple[list, list]] = []
    for line in text.strip().splitlines():
        f = line.split()
        depth = (len(line) - len(line.lstrip())) // 2
        if depth == 0:
            regions.append(([*f], []))
        elif depth == 1:
            regions[-1][1].append(([f[0], f[1], f[2], int(f[3]), float(f[4])], []))
        else:
            area = Area(f[0], f[1], float(f[2]), float(f[3]), tuple(f[4].split("/")))
            regions[-1][1][-1][1].append(area)
    return tuple(
        RegionSpec(*head, tuple(TerritorySpec(*t, tuple(areas)) for t, areas in territories))
        for head, territories in regions
    )


REGIONS = _parse_geography(GEOGRAPHY)


def approx_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: good to a fraction of a percent over a city, and 100× cheaper than
    a geodesic. Used for planning routes only; stored distances are geodesic."""
    dy = (b[0] - a[0]) * 110_574.0
    dx = (b[1] - a[1]) * 111_320.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def offset_point(lat: float, lon: float, metres: float, bearing_rad: float) -> tuple[float, float]:
    dlat = metres * math.cos(bearing_rad) / 110_574.0
    dlon = metres * math.sin(bearing_rad) / (111_320.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)

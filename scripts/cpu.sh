#!/bin/sh
# Prints one line naming the processor that the figures printed after it were
# measured on: model, vendor, family and model numbers, processors, and the
# vector extensions the kernels use. Linux (/proc/cpuinfo), else sysctl (macOS).
if [ -r /proc/cpuinfo ]; then
	field() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }
	flags=$(field flags)
	ext=
	for f in avx2 fma avx512f; do
		case " $flags " in *" $f "*) ext="$ext $f" ;; esac
	done
	caches=
	for d in /sys/devices/system/cpu/cpu0/cache/index*; do
		[ -r "$d/size" ] || continue
		case $(cat "$d/type") in Instruction) continue ;; esac
		caches="$caches L$(cat "$d/level") $(cat "$d/size")"
	done
	echo "CPU: $(field 'model name'); $(field vendor_id) family $(field 'cpu family') model $(field model) stepping $(field stepping); $(grep -c '^processor' /proc/cpuinfo) processors; ext:${ext:- none}; cache:${caches:- unknown}"
else
	echo "CPU: $(sysctl -n machdep.cpu.brand_string 2>/dev/null || uname -m); $(getconf _NPROCESSORS_ONLN 2>/dev/null) processors"
fi

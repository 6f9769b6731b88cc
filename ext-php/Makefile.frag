# The core's supervisor executable, built before it is embedded into the
# extension by core/src/image_data.c (.incbin). It is a separate program:
# the compiler core/supervisor-cc.sh picks, none of PHP's flags, only what
# it needs. MV_SUPERVISOR_SOURCES comes from core/sources.txt and
# MV_SUPERVISOR_CC from core/supervisor-cc.sh (config.m4).
mv-supervisor: $(MV_SUPERVISOR_SOURCES) $(srcdir)/core/include/multiverse.h
	$(MV_SUPERVISOR_CC) -std=gnu11 -O2 -g -D_GNU_SOURCE -I$(srcdir)/core/include -I$(srcdir)/core/src \
		-o mv-supervisor $(MV_SUPERVISOR_SOURCES)

core/src/image_data.lo: mv-supervisor

# The arginfo header is generated from the stub by ext-php/gen_arginfo.sh and
# committed. An explicit rule keeps PHP's generic "%_arginfo.h: %.stub.php"
# rule from regenerating it during a build (which would try to download
# nikic/php-parser when file times make the stub look newer).
$(srcdir)/ext-php/multiverse_arginfo.h: ;
